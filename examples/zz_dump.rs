fn main() {
    let data = goldthread::tagging::read_labelled_csv(
        std::fs::File::open("/work/shared/data/banking77/train.csv").unwrap(),
    )
    .unwrap();
    let enc = goldthread::tagging::encoder::Encoder::load_default().unwrap();
    let texts: Vec<&str> = data.iter().map(|d| d.text.as_str()).collect();
    let t = std::time::Instant::now();
    let v = enc.embed(&texts);
    eprintln!("{} texts in {:.1}s", texts.len(), t.elapsed().as_secs_f64());
    let mut out = Vec::new();
    for r in &v {
        for x in r {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    std::fs::write(".tmp/b77.f32", out).unwrap();
}
