//! SVG charts of a run's samples (plotters' SVG backend): utilisation per zone, running tasks
//! per service, placement failures over time, and an instance-by-time utilisation heatmap.
//! Each chart is a standalone `<svg>` string; text is SVG text, so no fonts are embedded.

use crate::columns::ServiceColumns;
use ecsim_scenario::metrics::Sample;
use plotters::prelude::*;
use std::collections::BTreeSet;

const SIZE: (u32, u32) = (760, 320);
const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A chart, or why it could not be drawn.
pub type Chart = Result<String, Box<dyn std::error::Error>>;

type Err = Box<dyn std::error::Error>;

fn minutes(ms: &u64) -> String {
    format!("{}m", ms / 60_000)
}

fn end_ms(samples: &[Sample]) -> u64 {
    samples.last().map_or(1, |s| s.t_ms.max(1))
}

/// Draws one line chart of named series of (t_ms, value) into an SVG string.
fn lines(
    title: &str,
    y_label: &str,
    series: &[(String, Vec<(u64, i64)>)],
    y_max: i64,
    y_fmt: &dyn Fn(&i64) -> String,
) -> Result<String, Err> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let x_max = series
            .iter()
            .flat_map(|(_, p)| p.last().map(|(t, _)| *t))
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0u64..x_max, 0i64..y_max.max(1))?;
        chart
            .configure_mesh()
            .x_label_formatter(&minutes)
            .y_label_formatter(y_fmt)
            .y_desc(y_label)
            .draw()?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Memory reserved per zone and for the whole fleet, in percent.
pub fn utilisation(samples: &[Sample]) -> Result<String, Err> {
    let zones: BTreeSet<&String> = samples.iter().flat_map(|s| s.per_zone.keys()).collect();
    let mut series = vec![(
        "all zones".to_string(),
        samples
            .iter()
            .map(|s| (s.t_ms, s.total.memory_bp()))
            .collect(),
    )];
    for z in zones {
        let points = samples
            .iter()
            .map(|s| (s.t_ms, s.per_zone.get(z).map_or(0, |c| c.memory_bp())))
            .collect();
        series.push((z.clone(), points));
    }
    lines(
        "Memory reserved per Availability Zone",
        "memory reserved",
        &series,
        10_000,
        &|bp| format!("{}%", bp / 100),
    )
}

/// Running tasks of each service.
pub fn service_tasks(samples: &[Sample]) -> Result<String, Err> {
    let columns = ServiceColumns::of(samples);
    let mut series: Vec<(String, Vec<(u64, i64)>)> = columns
        .names()
        .iter()
        .map(|n| (n.to_string(), Vec::with_capacity(samples.len())))
        .collect();
    for s in samples {
        for ((_, points), service) in series.iter_mut().zip(columns.row(s)) {
            points.push((s.t_ms, service.map_or(0, |v| i64::from(v.running))));
        }
    }
    let y_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
        .max()
        .unwrap_or(1)
        + 1;
    lines("Running tasks per service", "tasks", &series, y_max, &|v| {
        v.to_string()
    })
}

/// Failed placements so far.
pub fn placement_failures(samples: &[Sample]) -> Result<String, Err> {
    let points: Vec<(u64, i64)> = samples
        .iter()
        .map(|s| (s.t_ms, s.placement_failures as i64))
        .collect();
    let y_max = points.iter().map(|(_, v)| *v).max().unwrap_or(0) + 1;
    lines(
        "Placement failures (cumulative)",
        "failed placements",
        &[("failed placements".into(), points)],
        y_max,
        &|v| v.to_string(),
    )
}

/// One row per instance, one column per sample, darker for more memory reserved; grey once
/// the instance is gone.
pub fn heatmap(samples: &[Sample]) -> Result<String, Err> {
    let rows = samples
        .iter()
        .map(|s| s.instance_memory_bp.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, SIZE.1.max(rows as u32 * 3 + 80)))
            .into_drawing_area();
        root.fill(&WHITE)?;
        let step = samples.get(1).map_or(60_000, |s| s.t_ms.max(1));
        let mut chart = ChartBuilder::on(&root)
            .caption("Memory reserved, instance by time", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0u64..end_ms(samples) + step, 0usize..rows)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&minutes)
            .y_desc("instance")
            .draw()?;
        let cells = samples.iter().flat_map(|s| {
            s.instance_memory_bp
                .iter()
                .enumerate()
                .map(move |(row, bp)| {
                    let color = if *bp < 0 {
                        RGBColor(200, 200, 200)
                    } else {
                        shade(*bp)
                    };
                    Rectangle::new([(s.t_ms, row), (s.t_ms + step, row + 1)], color.filled())
                })
        });
        chart.draw_series(cells)?;
        root.present()?;
    }
    Ok(svg)
}

/// White (empty) to dark blue (full).
fn shade(bp: i16) -> RGBColor {
    let f = i32::from(bp.clamp(0, 10_000));
    let c = |light: i32, dark: i32| (light + (dark - light) * f / 10_000) as u8;
    RGBColor(c(247, 8), c(251, 48), c(255, 107))
}

/// A bar per label (`values` in hundredths, as `Spread::mean_centi`), with its min..max range
/// as a black line; the x axis numbers the labels from 1.
pub fn bars(title: &str, labels: &[String], values: &[(i64, i64, i64)]) -> Result<String, Err> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let top = values
            .iter()
            .map(|(m, _, hi)| (*m).max(hi * 100))
            .max()
            .unwrap_or(100)
            .max(100)
            * 11
            / 10;
        let n = labels.len().max(1) as i64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(64)
            .build_cartesian_2d(0i64..n * 10, 0i64..top)?;
        let label = |x: &i64| {
            if x % 10 == 5 {
                format!("{}", x / 10 + 1)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize * 10 + 1)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| format!("{}", v / 100))
            .draw()?;
        chart.draw_series(values.iter().enumerate().map(|(i, (mean, _, _))| {
            let x = i as i64 * 10;
            Rectangle::new(
                [(x + 2, 0), (x + 8, *mean)],
                COLORS[i % COLORS.len()].mix(0.85).filled(),
            )
        }))?;
        chart.draw_series(values.iter().enumerate().map(|(i, (_, lo, hi))| {
            let x = i as i64 * 10 + 5;
            PathElement::new(vec![(x, lo * 100), (x, hi * 100)], BLACK.stroke_width(2))
        }))?;
        root.present()?;
    }
    Ok(svg)
}
