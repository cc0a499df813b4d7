//! HTTP benchmark: runs the real `tamhub` binary on a fresh SQLite file with the demo data plus
//! extra accounts and 10,000 tickets, then drives it from 1 and 8 concurrent clients and prints
//! throughput, p50/p99 latency, server CPU per ticket opened, start-up time and the server's
//! peak memory. Figures, not assertions.
//!
//! cargo bench -p tamhub-cli --bench http        (TAMHUB_BENCH_REQUESTS=N to change the count)

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_tamhub")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

async fn start(db: &str) -> (Server, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("TAMHUB_DATABASE_URL", db)
        .env("TAMHUB_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tamhub");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    loop {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    (Server { child, base }, started.elapsed())
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The server's CPU time so far (user + system), from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks of 1/100 s.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// Runs `total` requests from `clients` concurrent loops; prints one line.
/// GETs one address (with the client's cookies, or a bearer token) from 1, then 8, concurrent clients.
async fn get_with_1_and_8_clients(
    label: &str,
    (client, url, auth): (reqwest::Client, String, Option<String>),
    total: usize,
) {
    for clients in [1, 8] {
        let (c, u, a) = (client.clone(), url.clone(), auth.clone());
        run(label, clients, total, move |_| {
            let (c, u, a) = (c.clone(), u.clone(), a.clone());
            async move {
                let request = c.get(u);
                let request = match a {
                    Some(a) => request.header("Authorization", a),
                    None => request,
                };
                request.send().await.map(|r| r.status()).expect("request")
            }
        })
        .await;
    }
}

async fn run<F, Fut>(label: &str, clients: usize, total: usize, make: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = reqwest::StatusCode> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for i in (c..total).step_by(clients) {
                let t = Instant::now();
                let status = make(i).await;
                assert!(status.is_success(), "{status}");
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    println!(
        "{label:<44} clients={clients:<2} n={total:<6} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        total as f64 / elapsed,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("TAMHUB_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    let dir = std::env::temp_dir().join(format!("tamhub-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = format!("sqlite://{}/bench.db", dir.display());
    let status = Command::new(binary()).arg("demo").env("TAMHUB_DATABASE_URL", &db).stderr(Stdio::null()).status();
    assert!(status.is_ok_and(|s| s.success()), "demo load failed");
    let token = String::from_utf8(
        Command::new(binary())
            .args(["token", "create", "--email", "admin@tamhub.example", "--name", "bench"])
            .env("TAMHUB_DATABASE_URL", &db)
            .stderr(Stdio::null())
            .output()
            .expect("token")
            .stdout,
    )
    .expect("utf8")
    .trim()
    .to_string();

    let (server, startup) = start(&db).await;
    println!("start-up to first answer (demo database): {:.1} ms", startup.as_secs_f64() * 1000.0);
    let base = server.base.clone();
    let auth = format!("Bearer {token}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(16).build().expect("client");

    // Grow the portfolio to 2,120 accounts through the API (also measures creation).
    for clients in [1, 8] {
        let (c, b, a) = (client.clone(), base.clone(), auth.clone());
        run("POST /api/v1/accounts (create)", clients, 1000, move |i| {
            let (c, b, a) = (c.clone(), b.clone(), a.clone());
            async move {
                let body = serde_json::json!({"name": format!("Bench {clients}-{i}"), "tier": "business", "arr": 100_000,
                    "region": "EMEA", "timezone": "Europe/Berlin", "phase": "post_launch", "workloads": ["api"]});
                c.post(format!("{b}/api/v1/accounts")).header("Authorization", a).json(&body).send().await.map(|r| r.status()).expect("request")
            }
        })
        .await;
    }
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/accounts?limit=1"))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let one = list["items"][0]["id"].as_str().expect("an id").to_string();
    println!("accounts in the database: {}", list["total"]);

    for clients in [1, 8] {
        let (c, b, a) = (client.clone(), base.clone(), auth.clone());
        run("GET /api/v1/accounts (page of 50 + total)", clients, requests, move |_| {
            let (c, b, a) = (c.clone(), b.clone(), a.clone());
            async move {
                c.get(format!("{b}/api/v1/accounts?limit=50&sort=-arr"))
                    .header("Authorization", a)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
        let (c, b, a, id) = (client.clone(), base.clone(), auth.clone(), one.clone());
        run("GET /api/v1/accounts/{id}", clients, requests, move |_| {
            let (c, b, a, id) = (c.clone(), b.clone(), a.clone(), id.clone());
            async move {
                c.get(format!("{b}/api/v1/accounts/{id}"))
                    .header("Authorization", a)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
    }

    // Tickets: 10,000 opened through the API with their SLA clocks, then the queue and one ticket.
    let accounts: serde_json::Value = client
        .get(format!("{base}/api/v1/accounts?phase=post_launch&limit=100"))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("accounts")
        .json()
        .await
        .expect("json");
    let account_ids: Vec<String> = accounts["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect();
    let pid = server.child.id();
    for (clients, count) in [(1, 2000), (8, 8000)] {
        let cpu_before = cpu_seconds(pid);
        let (c, b, a, ids) = (client.clone(), base.clone(), auth.clone(), account_ids.clone());
        run("POST /api/v1/tickets (open, with SLA clocks)", clients, count, move |i| {
            let (c, b, a) = (c.clone(), b.clone(), a.clone());
            let account = ids[i % ids.len()].clone();
            async move {
                let priority = ["critical", "high", "medium", "low"][i % 4];
                let body = serde_json::json!({"account_id": account, "title": format!("Bench ticket {clients}-{i}"),
                    "description": "Latency above 2 s on checkout", "priority": priority, "ticket_type": "incident"});
                c.post(format!("{b}/api/v1/tickets"))
                    .header("Authorization", a)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
        println!("  server CPU per ticket opened: {:.3} ms", (cpu_seconds(pid) - cpu_before) * 1000.0 / count as f64);
    }
    let queue: serde_json::Value = client
        .get(format!("{base}/api/v1/tickets?limit=1&status=all"))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    let ticket = queue["items"][0]["id"].as_str().expect("a ticket").to_string();
    println!("tickets in the database: {}", queue["total"]);
    for clients in [1, 8] {
        let (c, b, a) = (client.clone(), base.clone(), auth.clone());
        run("GET /api/v1/tickets (open queue by due, 50 + total)", clients, requests, move |_| {
            let (c, b, a) = (c.clone(), b.clone(), a.clone());
            async move {
                c.get(format!("{b}/api/v1/tickets?limit=50"))
                    .header("Authorization", a)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
        let (c, b, a, id) = (client.clone(), base.clone(), auth.clone(), ticket.clone());
        run("GET /api/v1/tickets/{id}", clients, requests, move |_| {
            let (c, b, a, id) = (c.clone(), b.clone(), a.clone(), id.clone());
            async move {
                c.get(format!("{b}/api/v1/tickets/{id}"))
                    .header("Authorization", a)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
        let (c, b, a, id) = (client.clone(), base.clone(), auth.clone(), ticket.clone());
        run("GET /api/v1/tickets/{id}/sla (evaluated now)", clients, requests, move |_| {
            let (c, b, a, id) = (c.clone(), b.clone(), a.clone(), id.clone());
            async move {
                c.get(format!("{b}/api/v1/tickets/{id}/sla"))
                    .header("Authorization", a)
                    .send()
                    .await
                    .map(|r| r.status())
                    .expect("request")
            }
        })
        .await;
    }

    // A TAM's portfolio page, signed in through the login form.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = browser.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("html");
    let csrf =
        login.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let signed_in = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "diego.alvarez@tamhub.example"),
            ("password", "tamhub-demo-password"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    let page = |path: &str| (browser.clone(), format!("{base}{path}"), None);
    let api = |path: &str| (client.clone(), format!("{base}{path}"), Some(auth.clone()));
    get_with_1_and_8_clients("GET / (TAM portfolio page, 46 accounts)", page("/"), requests / 4).await;
    // Charter compliance: a TAM's page over the last 90 days, and every account through the API.
    get_with_1_and_8_clients("GET /compliance (TAM page, 90 days)", page("/compliance"), requests / 4).await;
    get_with_1_and_8_clients(
        "GET /api/v1/compliance (every account, 90 days)",
        api("/api/v1/compliance"),
        requests / 8,
    )
    .await;
    // Reviews: a TAM's page (workloads due a review, every review's risk counts), and every
    // account's workload coverage through the API.
    get_with_1_and_8_clients("GET /reviews (TAM page)", page("/reviews"), requests / 4).await;
    get_with_1_and_8_clients(
        "GET /api/v1/reviews/coverage (every account)",
        api("/api/v1/reviews/coverage"),
        requests / 8,
    )
    .await;
    println!("server peak memory (VmHWM): {:.1} MiB", peak_rss_mib(server.child.id()));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
