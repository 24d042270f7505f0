//! Load the demo themes into the database at `DATABASE_URL` (after feedback exists):
//! `cargo run --example demo_themes`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = sqlx::PgPool::connect(&url).await?;
    let started = std::time::Instant::now();
    goldthread::themes::demo::load(&pool).await?;
    println!(
        "demo themes loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
