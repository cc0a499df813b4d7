//! An in-process client for the real router: JSON calls with a bearer token, and a browser that
//! signs in through the login form, keeps its session cookie and posts forms with the CSRF token.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tamhub_domain::accounts::{Account, AccountDraft};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_testkit::{TEST_PASSWORD, TestApp};
use tower::ServiceExt;

/// The router of one `TestApp`, driven with `oneshot`.
pub struct Client {
    router: Router,
    pub backend: &'static str,
}

/// A response, read whole, labelled with the request that produced it for assertion messages.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// "[sqlite] GET /api/v1/accounts"
    pub what: String,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.what, self.snippet()))
    }

    pub fn snippet(&self) -> String {
        self.text().chars().take(600).collect()
    }

    /// Panics with the request, status and body when the status is not `expected`.
    #[track_caller]
    pub fn expect(&self, expected: u16) -> &Resp {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "{}: expected {expected}, got {}: {}",
            self.what,
            self.status,
            self.snippet()
        );
        self
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The whole `Set-Cookie` header for `name`, attributes included.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The value a `Set-Cookie` header gives `name`.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let header = self.set_cookie(name)?;
        let pair = header.split(';').next()?;
        pair.split_once('=').map(|(_, v)| v.to_string())
    }

    /// The value of the first hidden `name="csrf"` input on the page.
    pub fn csrf_field(&self) -> Option<String> {
        input_value(&self.text(), "csrf")
    }

    /// Asserts the API error format: status, `error.code`, and (when given) the field named.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str, field: Option<&str>) -> Value {
        self.expect(status);
        let body = self.json();
        let error = &body["error"];
        assert_eq!(error["code"], json!(code), "{}: error code in {body}", self.what);
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{}: no message in {body}", self.what);
        assert!(error["fields"].is_object(), "{}: fields is not an object in {body}", self.what);
        if let Some(field) = field {
            assert!(
                error["fields"][field].as_str().is_some_and(|m| !m.is_empty()),
                "{}: expected a message for field {field:?} in {body}",
                self.what
            );
        }
        body
    }
}

/// The `value` of the first `<input … name="{name}" value="…">` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(unescape(&html[start..start + end]))
}

/// Undoes the HTML escaping askama applies to attribute values.
pub fn unescape(text: &str) -> String {
    text.replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
}

/// A signed-in browser: the session cookie and the session's CSRF token for forms.
#[derive(Clone, Debug)]
pub struct Browser {
    pub session: String,
    pub csrf: String,
}

impl Browser {
    pub fn cookie(&self) -> String {
        format!("tamhub_session={}", self.session)
    }
}

/// How a page request is sent: as a signed-in browser, or with raw cookies (or none).
pub enum As<'a> {
    Browser(&'a Browser),
    Cookie(&'a str),
    Anonymous,
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("form fields encode")
}

impl Client {
    pub fn new(t: &TestApp) -> Client {
        let state = tamhub_web::AppState {
            app: t.app.clone(),
            metrics: tamhub_web::ops::metrics_handle(),
            secure_cookies: false,
        };
        Client { router: tamhub_web::router(state), backend: t.backend }
    }

    pub async fn send(&self, request: Request<Body>) -> Resp {
        let what = format!("[{}] {} {}", self.backend, request.method(), request.uri());
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}")).to_bytes();
        Resp { status: parts.status, headers: parts.headers, body: body.to_vec(), what }
    }

    /// An API call with a raw body and content type.
    pub async fn api_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        self.send(request.body(Body::from(body)).expect("request builds")).await
    }

    /// An API call with a JSON body (or none).
    pub async fn api(&self, method: Method, path: &str, token: &str, body: Option<&Value>) -> Resp {
        match body {
            Some(body) => {
                let bytes = serde_json::to_vec(body).expect("JSON encodes");
                self.api_raw(method, path, Some(token), Some("application/json"), bytes).await
            }
            None => self.api_raw(method, path, Some(token), None, Vec::new()).await,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.api(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.api(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.api(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.api(Method::PUT, path, token, Some(body)).await
    }

    /// A page request: GET when `form` is `None`, otherwise a form POST of exactly those fields.
    pub async fn page(&self, method: Method, path: &str, who: As<'_>, form: Option<&[(&str, &str)]>) -> Resp {
        let mut request = Request::builder().method(method).uri(path);
        match who {
            As::Browser(b) => request = request.header(header::COOKIE, b.cookie()),
            As::Cookie(c) => request = request.header(header::COOKIE, c),
            As::Anonymous => {}
        }
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form_body(fields))
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request builds")).await
    }

    pub async fn page_get(&self, path: &str, browser: &Browser) -> Resp {
        self.page(Method::GET, path, As::Browser(browser), None).await
    }

    /// A form POST from a signed-in browser, with its CSRF token added.
    pub async fn page_post(&self, path: &str, browser: &Browser, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("csrf", browser.csrf.as_str())];
        all.extend_from_slice(fields);
        self.page(Method::POST, path, As::Browser(browser), Some(&all)).await
    }

    /// GET /login, then POST the form with its double-submit CSRF cookie.
    pub async fn login_attempt(&self, email: &str, password: &str, next: &str) -> Resp {
        let form = self.page(Method::GET, "/login", As::Anonymous, None).await;
        form.expect(200);
        let cookie = form.cookie_value("tamhub_login_csrf").unwrap_or_else(|| panic!("{}: no login cookie", form.what));
        let csrf = form.csrf_field().unwrap_or_else(|| panic!("{}: no csrf field", form.what));
        assert_eq!(cookie, csrf, "{}: the login cookie and the form field differ", form.what);
        let cookie = format!("tamhub_login_csrf={cookie}");
        let fields = [("csrf", csrf.as_str()), ("email", email), ("password", password), ("next", next)];
        self.page(Method::POST, "/login", As::Cookie(&cookie), Some(&fields)).await
    }

    /// Signs in and reads the session's CSRF token from a page.
    pub async fn login(&self, email: &str, password: &str) -> Browser {
        let response = self.login_attempt(email, password, "/").await;
        response.expect(303);
        let session = response
            .cookie_value("tamhub_session")
            .unwrap_or_else(|| panic!("{}: no session cookie after login", response.what));
        let mut browser = Browser { session, csrf: String::new() };
        let profile = self.page_get("/profile", &browser).await;
        profile.expect(200);
        browser.csrf = profile.csrf_field().unwrap_or_else(|| panic!("{}: no csrf field", profile.what));
        browser
    }

    pub async fn login_as(&self, user: &User) -> Browser {
        self.login(&user.email, TEST_PASSWORD).await
    }
}

/// A user with an API token.
#[derive(Clone)]
pub struct Person {
    pub user: User,
    pub token: String,
}

impl Person {
    pub async fn new(t: &TestApp, role: Role, name: &str, account: Option<AccountId>) -> Person {
        let user = t.user(role, name, account).await;
        let token = t.token(&user).await;
        Person { user, token }
    }

    pub fn id(&self) -> UserId {
        self.user.id
    }
}

/// An account draft with sensible defaults; tests set what matters to them.
pub fn draft(name: &str, phase: &str) -> AccountDraft {
    AccountDraft {
        name: name.into(),
        tier: "enterprise".into(),
        arr: 10_000_000,
        currency: "USD".into(),
        renewal_date: None,
        region: "EMEA".into(),
        timezone: "Europe/Berlin".into(),
        phase: phase.into(),
        ..AccountDraft::default()
    }
}

pub async fn create_account(t: &TestApp, draft: AccountDraft) -> Account {
    t.app.create_account(None, draft).await.unwrap_or_else(|e| panic!("[{}] create account: {e}", t.backend))
}

/// A valid account body for `POST /api/v1/accounts`.
pub fn account_body(name: &str) -> Value {
    json!({
        "name": name,
        "tier": "enterprise",
        "arr": 25_000_000,
        "region": "EMEA",
        "timezone": "Europe/Berlin",
    })
}

/// Everyone and everything the access tests need, with each role's in- and out-of-scope accounts:
///
/// | account | phase       | primary | backup | PSM  | PAM  | support | customer |
/// |---------|-------------|---------|--------|------|------|---------|----------|
/// | alpha   | gate_3      | tam     | tam2   | psm  | pam  | support | customer |
/// | bravo   | post_launch | tam2    | tam    | psm  | pam  |         |          |
/// | charlie | post_launch | tam2    |        | psm2 | pam2 | support2| customer2|
/// | delta   | gate_1      | tam     |        | psm  | pam2 |         |          |
pub struct World {
    pub tam: Person,
    pub tam2: Person,
    pub psm: Person,
    pub pam: Person,
    pub support: Person,
    pub support2: Person,
    pub leadership: Person,
    pub admin: Person,
    pub customer: Person,
    pub alpha: AccountId,
    pub bravo: AccountId,
    pub charlie: AccountId,
    pub delta: AccountId,
}

impl World {
    pub async fn build(t: &TestApp) -> World {
        let tam = Person::new(t, Role::Tam, "Tina Tam", None).await;
        let tam2 = Person::new(t, Role::Tam, "Theo Tam", None).await;
        let psm = Person::new(t, Role::Psm, "Paula Psm", None).await;
        let psm2 = Person::new(t, Role::Psm, "Peter Psm", None).await;
        let pam = Person::new(t, Role::Pam, "Pia Pam", None).await;
        let pam2 = Person::new(t, Role::Pam, "Pavel Pam", None).await;
        let support = Person::new(t, Role::Support, "Sam Support", None).await;
        let support2 = Person::new(t, Role::Support, "Sue Support", None).await;
        let leadership = Person::new(t, Role::Leadership, "Lee Lead", None).await;
        let admin = Person::new(t, Role::Admin, "Ada Admin", None).await;

        let mut a = draft("Alpha Analytics", "gate_3");
        a.primary_tam_id = Some(tam.id());
        a.backup_tam_id = Some(tam2.id());
        a.psm_id = Some(psm.id());
        a.pam_id = Some(pam.id());
        a.support_ids = vec![support.id()];
        let alpha = create_account(t, a).await.id;

        let mut b = draft("Bravo Banking", "post_launch");
        b.primary_tam_id = Some(tam2.id());
        b.backup_tam_id = Some(tam.id());
        b.psm_id = Some(psm.id());
        b.pam_id = Some(pam.id());
        let bravo = create_account(t, b).await.id;

        let mut c = draft("Charlie Cloud", "post_launch");
        c.primary_tam_id = Some(tam2.id());
        c.psm_id = Some(psm2.id());
        c.pam_id = Some(pam2.id());
        c.support_ids = vec![support2.id()];
        let charlie = create_account(t, c).await.id;

        let mut d = draft("Delta Devices", "gate_1");
        d.primary_tam_id = Some(tam.id());
        d.psm_id = Some(psm.id());
        d.pam_id = Some(pam2.id());
        let delta = create_account(t, d).await.id;

        let customer = Person::new(t, Role::Customer, "Cora Customer", Some(alpha)).await;
        World { tam, tam2, psm, pam, support, support2, leadership, admin, customer, alpha, bravo, charlie, delta }
    }

    /// One person of each of the seven roles.
    pub fn by_role(&self) -> [(Role, &Person); 7] {
        [
            (Role::Tam, &self.tam),
            (Role::Psm, &self.psm),
            (Role::Pam, &self.pam),
            (Role::Support, &self.support),
            (Role::Leadership, &self.leadership),
            (Role::Admin, &self.admin),
            (Role::Customer, &self.customer),
        ]
    }

    pub fn name_of(&self, id: AccountId) -> &'static str {
        match id {
            id if id == self.alpha => "alpha",
            id if id == self.bravo => "bravo",
            id if id == self.charlie => "charlie",
            id if id == self.delta => "delta",
            _ => "an unknown account",
        }
    }

    pub fn all_accounts(&self) -> [AccountId; 4] {
        [self.alpha, self.bravo, self.charlie, self.delta]
    }
}

/// The number of accounts, archived included, and of users, inactive included, as an admin sees them.
pub async fn counts(c: &Client, admin_token: &str) -> (u64, usize) {
    let accounts = c.get("/api/v1/accounts?archived=include&limit=1", admin_token).await;
    accounts.expect(200);
    let users = c.get("/api/v1/users?include_inactive=true", admin_token).await;
    users.expect(200);
    let total = accounts.json()["total"].as_u64().expect("total is a number");
    (total, users.json()["items"].as_array().map(Vec::len).unwrap_or_default())
}

/// An escalation body whose brief has every part.
pub fn escalation_body(owner: Option<UserId>) -> Value {
    json!({
        "engineering_team": "Payments",
        "engineering_owner_id": owner,
        "brief": {
            "summary": "Checkout API returns 502 for one in five requests since the deploy",
            "customer_impact": "A fifth of checkouts fail",
            "severity": "P1",
            "environment": "eu-west-1, checkout v2.14.3",
            "reproduction_steps": "1. POST /v2/checkout\n2. Repeat",
            "evidence": {"logs": "502 upstream", "request_ids": ["req-1"], "timestamps": ["2026-03-02T08:05:00Z"]},
            "timeline": "08:00 deploy\n08:05 first 502s",
            "comms_plan": "Bridge updates every 30 minutes"
        }
    })
}

/// Opens a ticket through the API (`account` may be left out by a customer) and returns it.
pub async fn open_ticket(c: &Client, token: &str, account: Option<AccountId>, priority: &str, title: &str) -> Value {
    let mut body = json!({"title": title, "priority": priority, "description": "It broke"});
    if let Some(account) = account {
        body["account_id"] = json!(account);
    }
    let created = c.post("/api/v1/tickets", token, &body).await;
    created.expect(201);
    created.json()
}
