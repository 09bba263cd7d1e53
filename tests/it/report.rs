//! `report.html` and `timeseries.csv` from `ecsim run --out`: self-contained, every chart drawn.
//! Where a headless Chromium is installed (`.ci/run` installs Debian's `chromium`), each chart is
//! rendered and must have drawn pixels; elsewhere that part is skipped with a message.

use crate::support::{TestDir, all_output, code, ecsim, temp_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run_with_report(name: &str) -> TestDir {
    let dir = temp_dir(name);
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/strategy-comparison.yaml");
    let o = ecsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    dir
}

/// The `<svg>...</svg>` of each chart figure.
fn charts(html: &str) -> Vec<String> {
    html.split("<figure id=\"")
        .skip(1)
        .filter_map(|part| {
            let start = part.find("<svg")?;
            let end = part.find("</svg>")? + "</svg>".len();
            Some(part[start..end].to_string())
        })
        .collect()
}

#[test]
fn the_report_is_self_contained_with_four_drawn_charts() {
    let dir = run_with_report("report-html");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "no scripts");
    let outside = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !outside.contains("http://") && !outside.contains("https://"),
        "nothing fetched"
    );
    let svgs = charts(&html);
    assert_eq!(svgs.len(), 4, "utilisation, services, failures, heatmap");
    for svg in &svgs {
        let marks = svg.matches("<polyline").count() + svg.matches("<rect").count();
        assert!(
            marks > 5,
            "a chart with drawn content: {}",
            &svg[..200.min(svg.len())]
        );
    }
}

#[test]
fn timeseries_has_one_row_per_sample() {
    let dir = run_with_report("report-csv");
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // until 40m, sampleEvery 1m: samples at 0, 1m, ..., 40m.
    assert_eq!(lines.len(), 1 + 41);
    let columns = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == columns));
    assert!(lines[0].contains("web_running"), "{}", lines[0]);
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Renders an SVG file headless and counts the pixels that are not white.
fn drawn_pixels(browser: &Path, svg: &Path, png: &Path) -> usize {
    let profile = svg.with_extension("profile");
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=800,1000")
        .arg(format!("file://{}", svg.display()))
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|c| *c < 235))
        .count()
}

#[test]
fn every_chart_renders_with_drawn_content_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: no headless Chromium installed (apt-get install chromium); the SVG structure is checked by the other report tests"
        );
        return;
    };
    let dir = run_with_report("report-render");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for (i, svg) in charts(&html).iter().enumerate() {
        let file = dir.join(format!("chart{i}.svg"));
        std::fs::write(&file, svg).unwrap();
        let drawn = drawn_pixels(&browser, &file, &dir.join(format!("chart{i}.png")));
        assert!(drawn > 2_000, "chart {i} drew only {drawn} pixels");
    }
}
