//! The `--svg FILE` chart: one horizontal percentile bar per configuration on a logarithmic time axis.
//!
//! Each row shows the whole range (a thin line from the fastest to the slowest call), a box from the
//! 10th to the 90th percentile coloured by mechanism, a thick tick at the median, a ring at the 99th
//! percentile, and the median as text on the right. Hand-written SVG 1.1, no scripts, no fonts beyond
//! the generic `sans-serif`.
//!
//! Below it, when there are throughput rows, one bar per throughput configuration on a linear axis of
//! notifications per second, with a tick at the most the CPU times allow (`CPUs / (S + T)`).

use super::mechanisms::{Config, Measured, Mechanism, ThroughputConfig};
use super::stats::Summary;
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const LABEL_RIGHT: f64 = 205.0;
const PLOT_LEFT: f64 = 215.0;
const PLOT_RIGHT: f64 = 860.0;
const VALUE_LEFT: f64 = 870.0;
const TOP: f64 = 64.0;
const ROW_HEIGHT: f64 = 22.0;
const LEGEND_HEIGHT: f64 = 56.0;
/// The throughput section's heading and axis labels, above and below its bars.
const THROUGHPUT_MARGIN: f64 = 64.0;

/// The colour of a mechanism's boxes.
const fn colour(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Bare => "#9e9e9e",
        Mechanism::Errno => "#607d8b",
        Mechanism::Notify => "#1e88e5",
        Mechanism::PtraceSyscall => "#e53935",
        Mechanism::RetTrace => "#fb8c00",
        Mechanism::Futex => "#43a047",
        Mechanism::Supervisor => "#8e24aa",
        Mechanism::SupervisorOpen => "#6d4c41",
        Mechanism::SupervisorOpenFloor => "#bcaaa4",
        Mechanism::SupervisorAddfd => "#d7ccc8",
    }
}

/// The logarithmic axis: whole decades from `low` to `high` (powers of ten, in ns).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    low: i32,
    high: i32,
}

impl Axis {
    fn covering(results: &[(Config, Summary)]) -> Axis {
        let smallest = results.iter().map(|(_, s)| s.min).min().unwrap_or(1).max(1);
        let largest = results.iter().map(|(_, s)| s.max).max().unwrap_or(1).max(1);
        let low = (smallest as f64).log10().floor() as i32;
        let high = (largest as f64).log10().ceil() as i32;
        Axis {
            low,
            high: high.max(low + 1),
        }
    }

    /// The x coordinate of `nanos` (0 is drawn as 1 ns, at or left of the axis start).
    fn x(&self, nanos: u64) -> f64 {
        let decades = f64::from(self.high - self.low);
        let position = ((nanos.max(1) as f64).log10() - f64::from(self.low)) / decades;
        PLOT_LEFT + position.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
    }
}

/// A duration for people: `812 ns`, `1.70 µs`, `3.21 ms`, `1.50 s`.
pub fn duration(nanos: u64) -> String {
    match nanos {
        0..1_000 => format!("{nanos} ns"),
        1_000..1_000_000 => format!("{:.2} µs", nanos as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} ms", nanos as f64 / 1e6),
        _ => format!("{:.2} s", nanos as f64 / 1e9),
    }
}

/// The label of the decade 10^`exponent` ns: `10 ns`, `1 µs`, `100 ms`, `1 s`.
fn decade_label(exponent: i32) -> String {
    let (unit, base) = match exponent {
        ..3 => ("ns", 0),
        3..6 => ("µs", 3),
        6..9 => ("ms", 6),
        _ => ("s", 9),
    };
    format!("{} {unit}", 10u64.saturating_pow((exponent - base).max(0) as u32))
}

/// `text` with the five XML special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart of `results` (in table order) under `title` and `subtitle`, then the `throughput` rows
/// measured on `cpus` CPUs.
pub fn render(
    title: &str,
    subtitle: &str,
    results: &[(Config, Summary)],
    throughput: &[(ThroughputConfig, Measured)],
    cpus: usize,
) -> String {
    let axis = Axis::covering(results);
    let plot_bottom = TOP + ROW_HEIGHT * results.len() as f64;
    let throughput_height = if throughput.is_empty() {
        0.0
    } else {
        THROUGHPUT_MARGIN + ROW_HEIGHT * throughput.len() as f64
    };
    let height = plot_bottom + LEGEND_HEIGHT + throughput_height;
    let mut svg = String::new();
    // Writing to a String cannot fail; the results of write! are ignored throughout.
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        PLOT_LEFT,
        escape(title)
    );
    let _ = writeln!(
        svg,
        "<text x=\"{PLOT_LEFT}\" y=\"37\" fill=\"#555\">{}</text>",
        escape(subtitle)
    );
    // Decade grid lines with labels, and lighter lines at 2x and 5x.
    for exponent in axis.low..=axis.high {
        let decade = 10u64.saturating_pow(exponent.max(0) as u32);
        let x = axis.x(decade);
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{plot_bottom}\" stroke=\"#bbb\"/>",
            TOP - 6.0
        );
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            TOP - 10.0,
            decade_label(exponent)
        );
        if exponent < axis.high {
            for factor in [2, 5] {
                let x = axis.x(decade.saturating_mul(factor));
                let _ = writeln!(
                    svg,
                    "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{plot_bottom}\" stroke=\"#eee\"/>"
                );
            }
        }
    }
    for (index, (config, summary)) in results.iter().enumerate() {
        let middle = TOP + ROW_HEIGHT * index as f64 + ROW_HEIGHT / 2.0;
        let (low, high) = (axis.x(summary.p10), axis.x(summary.p90));
        let median = axis.x(summary.median);
        let _ = writeln!(
            svg,
            "<text class=\"label\" x=\"{LABEL_RIGHT}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            middle + 4.0,
            escape(&config.name())
        );
        let _ = writeln!(
            svg,
            "<line class=\"range\" x1=\"{:.1}\" y1=\"{middle:.1}\" x2=\"{:.1}\" y2=\"{middle:.1}\" \
             stroke=\"#777\"/>",
            axis.x(summary.min),
            axis.x(summary.max)
        );
        let _ = writeln!(
            svg,
            "<rect class=\"box\" x=\"{low:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{}\" \
             fill-opacity=\"0.8\"/>",
            middle - 6.0,
            (high - low).max(1.0),
            colour(config.mechanism)
        );
        let _ = writeln!(
            svg,
            "<line class=\"median\" x1=\"{median:.1}\" y1=\"{:.1}\" x2=\"{median:.1}\" y2=\"{:.1}\" \
             stroke=\"#000\" stroke-width=\"2.5\"/>",
            middle - 8.0,
            middle + 8.0
        );
        let _ = writeln!(
            svg,
            "<circle class=\"p99\" cx=\"{:.1}\" cy=\"{middle:.1}\" r=\"3.5\" fill=\"none\" stroke=\"#000\"/>",
            axis.x(summary.p99)
        );
        let _ = writeln!(
            svg,
            "<text class=\"value\" x=\"{VALUE_LEFT}\" y=\"{:.1}\">{}</text>",
            middle + 4.0,
            duration(summary.median)
        );
    }
    legend(&mut svg, plot_bottom);
    if !throughput.is_empty() {
        throughput_bars(&mut svg, plot_bottom + LEGEND_HEIGHT, throughput, cpus);
    }
    svg.push_str("</svg>\n");
    svg
}

/// The throughput section starting at `top`: a bar of notifications/s per row, a tick at the CPU bound.
fn throughput_bars(svg: &mut String, top: f64, rows: &[(ThroughputConfig, Measured)], cpus: usize) {
    let bound = |measured: &Measured| {
        let per = measured.supervisor_ns + measured.target_ns;
        if per > 0.0 { cpus as f64 * 1e9 / per } else { 0.0 }
    };
    let largest = rows
        .iter()
        .map(|(_, measured)| measured.rate.max(bound(measured)))
        .fold(1.0, f64::max);
    let x = |rate: f64| PLOT_LEFT + (rate / largest).clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT);
    let _ = writeln!(
        svg,
        "<text x=\"{PLOT_LEFT}\" y=\"{:.1}\" font-weight=\"bold\">throughput: 8 targets, one listener \
         (notifications/s; bar: 1 thread light, 2 dark; tick: {cpus} CPUs / (S + T))</text>",
        top + 20.0
    );
    let bars_top = top + 32.0;
    for (index, (config, measured)) in rows.iter().enumerate() {
        let middle = bars_top + ROW_HEIGHT * index as f64 + ROW_HEIGHT / 2.0;
        // Named like the latency rows, so that it fits left of the plot: `openat_emulated+sync/2t`.
        let label = format!(
            "{}{}/{}t",
            config.work.name(),
            if config.sync_wakeup { "+sync" } else { "" },
            config.threads
        );
        let _ = writeln!(
            svg,
            "<text class=\"label\" x=\"{LABEL_RIGHT}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            middle + 4.0,
            escape(&label)
        );
        let colour = if config.threads == 1 { "#90caf9" } else { "#1e88e5" };
        let _ = writeln!(
            svg,
            "<rect class=\"rate\" x=\"{PLOT_LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{colour}\"/>",
            middle - 6.0,
            (x(measured.rate) - PLOT_LEFT).max(1.0)
        );
        let tick = x(bound(measured));
        let _ = writeln!(
            svg,
            "<line class=\"bound\" x1=\"{tick:.1}\" y1=\"{:.1}\" x2=\"{tick:.1}\" y2=\"{:.1}\" \
             stroke=\"#000\" stroke-width=\"2\"/>",
            middle - 8.0,
            middle + 8.0
        );
        let _ = writeln!(
            svg,
            "<text class=\"value\" x=\"{VALUE_LEFT}\" y=\"{:.1}\">{:.0}/s</text>",
            middle + 4.0,
            measured.rate
        );
    }
    let axis_y = bars_top + ROW_HEIGHT * rows.len() as f64 + 14.0;
    for step in 0..=4 {
        let rate = largest * f64::from(step) / 4.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{axis_y:.1}\" text-anchor=\"middle\" fill=\"#555\">{:.0}</text>",
            x(rate),
            rate
        );
    }
}

fn legend(svg: &mut String, plot_bottom: f64) {
    let y = plot_bottom + 24.0;
    let _ = writeln!(
        svg,
        "<line x1=\"{PLOT_LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#777\"/>\
         <rect x=\"{}\" y=\"{}\" width=\"24\" height=\"12\" fill=\"#1e88e5\" fill-opacity=\"0.8\"/>\
         <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000\" stroke-width=\"2.5\"/>\
         <circle cx=\"{}\" cy=\"{y}\" r=\"3.5\" fill=\"none\" stroke=\"#000\"/>",
        PLOT_LEFT + 60.0,
        PLOT_LEFT + 14.0,
        y - 6.0,
        PLOT_LEFT + 26.0,
        y - 8.0,
        PLOT_LEFT + 26.0,
        y + 8.0,
        PLOT_LEFT + 50.0,
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\">line: min to max; box: p10 to p90; bar: median; ring: p99 \
         (nanoseconds per round trip, log scale)</text>",
        PLOT_LEFT + 70.0,
        y + 4.0
    );
    let mut x = PLOT_LEFT;
    for mechanism in [
        Mechanism::Bare,
        Mechanism::Errno,
        Mechanism::Futex,
        Mechanism::Notify,
        Mechanism::RetTrace,
        Mechanism::PtraceSyscall,
        Mechanism::Supervisor,
        Mechanism::SupervisorOpen,
        Mechanism::SupervisorOpenFloor,
        Mechanism::SupervisorAddfd,
    ] {
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            y + 14.0,
            colour(mechanism),
            x + 16.0,
            y + 24.0,
            mechanism.name()
        );
        // About 7 px per character of 12 px sans-serif, plus the swatch and a gap.
        x += 30.0 + 7.0 * mechanism.name().len() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::super::mechanisms::Placement;
    use super::*;

    fn result(mechanism: Mechanism, median: u64) -> (Config, Summary) {
        (
            Config {
                mechanism,
                placement: Placement::Same,
                sync_wakeup: false,
                continue_syscall: false,
            },
            Summary {
                iterations: 100,
                min: median - median / 10,
                p10: median - median / 20,
                median,
                p90: median + median / 20,
                p99: median + median / 10,
                max: median * 100,
            },
        )
    }

    /// The x coordinates of the elements of class `class`, in document order.
    fn xs(svg: &str, class: &str, attribute: &str) -> Vec<f64> {
        let needle = format!("class=\"{class}\" {attribute}=\"");
        svg.match_indices(&needle)
            .map(|(at, _)| {
                let rest = &svg[at + needle.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    /// The contents of the `<text>` elements of class `class`, in document order.
    fn texts(svg: &str, class: &str) -> Vec<String> {
        let needle = format!("<text class=\"{class}\"");
        svg.match_indices(&needle)
            .map(|(at, _)| {
                let rest = &svg[at..];
                let start = rest.find('>').unwrap() + 1;
                let end = rest.find("</text>").unwrap();
                rest[start..end].to_owned()
            })
            .collect()
    }

    #[test]
    fn each_result_gets_a_labelled_box_median_and_p99() {
        let results = [result(Mechanism::Futex, 1600), result(Mechanism::Notify, 1700)];
        let svg = render("title", "sub", &results, &[], 2);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("class=\"box\"").count(), 2);
        assert_eq!(svg.matches("class=\"median\"").count(), 2);
        assert_eq!(svg.matches("class=\"p99\"").count(), 2);
        assert_eq!(texts(&svg, "label"), ["futex/same", "notify/same"]);
        assert_eq!(texts(&svg, "value"), ["1.60 µs", "1.70 µs"]);
        assert!(svg.contains("fill=\"#1e88e5\""));
    }

    #[test]
    fn throughput_rows_get_a_bar_and_a_cpu_bound_tick() {
        use super::super::mechanisms::Work;
        let row = |threads, rate| {
            (
                ThroughputConfig {
                    work: Work::Value,
                    threads,
                    sync_wakeup: true,
                },
                Measured {
                    rate,
                    supervisor_ns: 1500.0,
                    target_ns: 500.0,
                },
            )
        };
        let rows = [row(1, 200_000.0), row(2, 400_000.0)];
        let svg = render("t", "s", &[result(Mechanism::Notify, 1700)], &rows, 2);
        assert_eq!(svg.matches("class=\"rate\"").count(), 2);
        assert_eq!(
            texts(&svg, "label"),
            ["notify/same", "getppid_value+sync/1t", "getppid_value+sync/2t"]
        );
        assert_eq!(texts(&svg, "value"), ["1.70 µs", "200000/s", "400000/s"]);
        // 2 CPUs / 2 µs = 1,000,000/s: the largest value, so the ticks sit at the right end.
        let ticks = xs(&svg, "bound", "x1");
        assert_eq!(ticks, [PLOT_RIGHT, PLOT_RIGHT]);
        assert!(svg.ends_with("</svg>\n"));
    }

    #[test]
    fn the_axis_is_logarithmic_and_ordered() {
        let results = [
            result(Mechanism::Bare, 100),
            result(Mechanism::Notify, 1_000),
            result(Mechanism::PtraceSyscall, 10_000),
        ];
        let svg = render("t", "s", &results, &[], 2);
        let medians = xs(&svg, "median", "x1");
        assert_eq!(medians.len(), 3);
        // Equal ratios are equal distances on a log scale.
        assert!(medians[0] < medians[1] && medians[1] < medians[2]);
        assert!(((medians[1] - medians[0]) - (medians[2] - medians[1])).abs() < 0.2);
        // Decade labels span the fastest minimum (90 ns) to the slowest maximum (1 ms).
        assert_eq!(
            texts(&svg, "tick"),
            ["10 ns", "100 ns", "1 µs", "10 µs", "100 µs", "1 ms"]
        );
        assert_eq!(texts(&svg, "value"), ["100 ns", "1.00 µs", "10.00 µs"]);
    }

    #[test]
    fn degenerate_values_stay_finite() {
        let zero = (
            result(Mechanism::Bare, 100).0,
            Summary {
                iterations: 1,
                min: 0,
                p10: 0,
                median: 0,
                p90: 0,
                p99: 0,
                max: 0,
            },
        );
        for results in [vec![], vec![zero]] {
            let svg = render("t", "s", &results, &[], 2);
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(svg.ends_with("</svg>\n"));
        }
    }

    #[test]
    fn text_is_escaped() {
        let svg = render("a < b & \"c\"", "d > e", &[], &[], 2);
        assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(svg.contains("d &gt; e"));
    }

    #[test]
    fn decades_are_labelled_in_whole_units() {
        let labels: Vec<String> = (0..=10).map(decade_label).collect();
        assert_eq!(
            labels,
            [
                "1 ns", "10 ns", "100 ns", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms", "1 s",
                "10 s"
            ]
        );
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(812), "812 ns");
        assert_eq!(duration(1_700), "1.70 µs");
        assert_eq!(duration(3_210_000), "3.21 ms");
        assert_eq!(duration(1_500_000_000), "1.50 s");
    }
}
