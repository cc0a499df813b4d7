//! `tamhub sla eval` through the real binary (SLA-SPEC section 3): one answer per scenario in
//! input order across chunks and worker threads, the same answer as the engine gives for the
//! line, and an error line for a bad scenario without stopping the run.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tamhub_domain::sla::scenario::eval_line;

fn run_sla_eval(input: &[u8]) -> (Vec<String>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamhub"))
        .args(["sla", "eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tamhub starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from another thread: the answers may fill the pipe before the input is all read.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("tamhub runs");
    writer.join().expect("writer").expect("input written");
    assert!(output.status.success(), "exit status {:?}: {}", output.status, String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("answers are UTF-8");
    (stdout.lines().map(str::to_owned).collect(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The section 3 example, with `now` moved so the scenarios differ.
fn scenario(n: usize) -> String {
    json!({
        "id": format!("s{n}"),
        "now": 1_709_931_600 + (n as i64 % 500) * 3_600,
        "calendars": [{"id": "ny", "tz": "America/New_York",
                       "weekly": {"mon": [[540, 1020]], "tue": [[540, 1020]], "wed": [[540, 1020]],
                                  "thu": [[540, 1020]], "fri": [[540, 1020]]},
                       "holidays": ["2024-07-04"],
                       "exceptions": {"2024-12-24": [[540, 780]]}}],
        "policy": {"id": "default",
                   "targets": [{"metric": "first_response", "priority": "high", "seconds": 14400,
                                "hours": "business", "calendar": "ny"},
                               {"metric": "resolution", "priority": "critical", "seconds": 28800,
                                "hours": "business", "calendar": "ny"}],
                   "warn_percent": [50, 75, 90],
                   "warn_remaining_seconds": [900],
                   "pause_sets": {"resolution": ["pending"]},
                   "reopen": {"resolution": "new_cycle"},
                   "start_at_first_customer_message": true},
        "events": [{"at": 1_709_928_000, "kind": "created", "priority": "high", "by": "customer", "public": true},
                   {"at": 1_709_931_600, "kind": "comment", "author": "agent", "public": true},
                   {"at": 1_709_935_200, "kind": "status", "to": "pending"},
                   {"at": 1_709_938_800, "kind": "priority", "to": "critical"},
                   {"at": 1_709_942_400 + (n as i64 % 7) * 60_000, "kind": "status", "to": "open"}]
    })
    .to_string()
}

#[test]
fn answers_every_line_in_order_with_the_engines_answer() {
    // More lines than one chunk of the binary (4,096), so several chunks and workers are used.
    let lines: Vec<String> = (0..9_000).map(scenario).collect();
    let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let (answers, _) = run_sla_eval(input.as_bytes());
    assert_eq!(answers.len(), lines.len());
    for (line, answer) in lines.iter().zip(&answers) {
        assert_eq!(answer, &eval_line(line));
    }
    let first: Value = serde_json::from_str(&answers[0]).expect("JSON");
    assert_eq!(first["id"], "s0");
    let cycles = first["cycles"].as_array().expect("cycles");
    assert!(
        cycles.iter().any(|c| c["metric"] == "first_response" && c["state"] == "met"),
        "the agent's reply an hour after creation meets first response: {first}"
    );
}

#[test]
fn a_bad_line_gets_an_error_line_and_the_run_goes_on() {
    let mut input = Vec::new();
    input.extend_from_slice(format!("{}\n", scenario(1)).as_bytes());
    input.extend_from_slice(b"{\"id\": \"broken\", \"now\": \n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\": \"latin1\", \"note\": \"caf\xe9\"}\n");
    let bad_zone = scenario(2).replace("America/New_York", "Mars/Olympus_Mons");
    input.extend_from_slice(format!("{bad_zone}\r\n").as_bytes());
    input.extend_from_slice(scenario(3).as_bytes()); // last line without a line break
    let (answers, stderr) = run_sla_eval(&input);
    assert_eq!(answers.len(), 5, "one answer per non-blank line: {answers:?} {stderr}");
    let answers: Vec<Value> = answers.iter().map(|a| serde_json::from_str(a).expect("JSON")).collect();
    assert_eq!(answers[0]["id"], "s1");
    assert!(answers[0]["cycles"].is_array());
    assert!(answers[1]["error"].is_string(), "{}", answers[1]);
    assert!(answers[2]["error"].as_str().expect("error").contains("UTF-8"), "{}", answers[2]);
    assert_eq!(answers[3]["id"], "s2");
    let error = answers[3]["error"].as_str().expect("error");
    assert!(error.contains("calendars[0].tz"), "the error names the field: {error}");
    assert_eq!(answers[4]["id"], "s3");
    assert!(answers[4]["cycles"].is_array());
}
