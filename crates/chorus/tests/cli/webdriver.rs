//! Just enough of the W3C WebDriver protocol to drive headless Chromium through ChromeDriver:
//! open a page, find elements by CSS, type, click, read the page and run a script.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::blocking::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium; `None` (with the reason printed) when they
    /// are not installed and not required.
    pub fn start() -> Option<Browser> {
        let driver_path = std::env::var("CHORUS_CHROMEDRIVER")
            .ok()
            .filter(|p| std::path::Path::new(p).exists())
            .or_else(|| which("chromedriver"));
        let chromium = which("chromium").or_else(|| which("chromium-browser"));
        let (Some(driver_path), Some(chromium)) = (driver_path, chromium) else {
            let reason = "chromium and chromedriver are not installed (run .ci/setup-chromium.sh)";
            assert!(!super::support::services_required(), "{reason}");
            eprintln!("skipping browser test: {reason}");
            return None;
        };
        super::support::install_tls();
        let port = free_port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_owned();
        Some(Browser {
            http,
            base,
            session,
            driver,
            _profile: profile,
        })
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut rb = self.http.request(method, url);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let v: Value = rb.send().unwrap().json().unwrap();
        if let Some(err) = v["value"].get("error") {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page's visible text.
    pub fn text(&self) -> String {
        self.execute("return document.body.innerText;", json!([]))
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let v: Value = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .unwrap()
                .json()
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn fill(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        );
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Types `text` into the element without clearing it first; on an `<input type=file>`
    /// the text is the path of the file to choose.
    pub fn send_keys(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        );
    }

    /// Resizes the window so the page lays out at `width` CSS pixels (height 900, or 844 on
    /// phone widths, the sizes issue 19's walk-through used).
    pub fn set_width(&self, width: u32) {
        let height = if width < 600 { 844 } else { 900 };
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Saves a PNG of the viewport as `<screenshot dir>/<name>-<width>.png` and returns its path.
    /// The directory is `$CHORUS_SCREENSHOT_DIR`, else `screenshots/` under the cargo target
    /// directory, so a reviewer finds every screen a test run looked at in one place.
    pub fn screenshot(&self, name: &str) -> std::path::PathBuf {
        use base64::Engine as _;
        let width = self
            .execute("return window.innerWidth;", json!([]))
            .as_u64()
            .unwrap_or(0);
        let png = self.call(reqwest::Method::GET, "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or(""))
            .expect("webdriver screenshot is base64");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, bytes).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Takes `name` at 1440 and 390 px wide (the page is reloaded at each width), leaving the
    /// window at 1440.
    pub fn screenshots_at_both_widths(&self, name: &str) -> [std::path::PathBuf; 2] {
        let mut out = Vec::new();
        for width in [1440, 390] {
            self.set_width(width);
            self.execute("location.reload();", json!([]));
            std::thread::sleep(Duration::from_millis(300));
            self.find("body");
            out.push(self.screenshot(name));
        }
        self.set_width(1440);
        [out.remove(0), out.remove(0)]
    }

    /// Presses and releases each character of `keys` in turn on the focused element, through
    /// the W3C Actions API (so the page sees real keydown/keyup events, as from a keyboard).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        self.call(reqwest::Method::DELETE, "/actions", None);
    }

    /// Waits until the page's text contains `needle`.
    pub fn wait_for_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "page {} never showed {needle:?}; it shows:\n{}",
                self.current_url(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where [`Browser::screenshot`] saves its files.
pub fn screenshot_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CHORUS_SCREENSHOT_DIR") {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

fn which(name: &str) -> Option<String> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
