//! The registry client against a scripted transport: auth flows, ranged requests, refusals.
use super::*;
use crate::executor::block_on;

/// A registry at http://reg that wants Bearer tokens from http://auth/token (or, with
/// `basic`, Basic credentials itself), granting anonymous pulls and `good` as the user.
struct Mock {
    seen: Vec<(String, Option<String>)>,
    basic: bool,
    good: &'static str,
}

impl Transport for Mock {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
        let auth = req
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.clone());
        self.seen.push((req.url.clone(), auth.clone()));
        let good_basic = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, self.good)
        );
        let mut r = HttpResponse {
            status: 200,
            final_url: req.url.clone(),
            ..Default::default()
        };
        if req.url.starts_with("http://auth/token?") {
            match auth.as_deref() {
                None => r.body = br#"{"token":"anon"}"#.to_vec(),
                Some(a) if a == good_basic => r.body = br#"{"access_token":"user"}"#.to_vec(),
                Some(_) => r.status = 401,
            }
        } else {
            let ok = match auth.as_deref() {
                Some(a) if self.basic => a == good_basic,
                Some(a) => a == "Bearer anon" || a == "Bearer user",
                None => false,
            };
            if ok {
                r.body = b"{}".to_vec();
                if let Some(range) = req.range {
                    r.status = 206;
                    r.body = vec![7; range.length as usize];
                }
            } else {
                r.status = 401;
                let c = if self.basic {
                    r#"Basic realm="reg""#
                } else {
                    r#"Bearer realm="http://auth/token",service="reg",scope="repository:a/b:pull""#
                };
                r.headers.insert("www-authenticate".into(), c.into());
            }
        }
        // Judge ranged heads exactly as the real transports do.
        if let Some(range) = req.range {
            if ranges::judge(&req.url, range, r.status, None, None)?
                == ranges::RangeVerdict::Ignored
            {
                r.aborted = true;
                r.body.clear();
            }
        }
        Ok(r)
    }
}

#[test]
fn a_ranged_first_request_still_authenticates() {
    // readFile and inspectLayer start with a ranged GET: its 401 must start the token dance.
    let mut c = client(false, None, None);
    let r = ByteRange {
        offset: 10,
        length: 4,
    };
    let body = block_on(c.blob_range(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        r,
        None,
        RequestPurpose::File,
    ))
    .unwrap();
    assert_eq!(body, [7; 4]);
    let urls: Vec<&str> = seen(&c).iter().map(|x| x.0).collect();
    assert_eq!(urls.len(), 3, "401, token, retry: {urls:?}");
    assert_eq!(urls[1], "http://auth/token");
}

#[test]
fn no_token_dance_with_a_cleartext_realm_for_an_https_registry() {
    let mut c = client(false, Some("tester:s3cret"), None);
    c.image = ImageRef::new("https://reg", "a/b", "latest").unwrap();
    let e = block_on(c.manifest("latest")).unwrap_err().to_string();
    assert!(e.contains("not https"), "{e}");
    assert_eq!(seen(&c).len(), 1, "the password never left");
}

fn client(basic: bool, user: Option<&str>, token: Option<&str>) -> RegistryClient<Mock> {
    let (username, password) = match user.and_then(|u| u.split_once(':')) {
        Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
        None => (None, None),
    };
    let creds = Credentials {
        token: token.map(str::to_string),
        username,
        password,
        ..Default::default()
    };
    let image = ImageRef::new("http://reg", "a/b", "latest").unwrap();
    RegistryClient::new(
        Mock {
            seen: Vec::new(),
            basic,
            good: "tester:s3cret",
        },
        image,
        creds,
    )
}

fn seen(c: &RegistryClient<Mock>) -> Vec<(&str, Option<&str>)> {
    c.transport
        .seen
        .iter()
        .map(|(u, a)| (u.split('?').next().unwrap(), a.as_deref()))
        .collect()
}

const MANIFEST: &str = "http://reg/v2/a/b/manifests/latest";

#[test]
fn anonymous_token_dance_then_cached_token() {
    let mut c = client(false, None, None);
    block_on(c.manifest("latest")).unwrap();
    block_on(c.manifest("latest")).unwrap();
    assert_eq!(
        seen(&c),
        [
            (MANIFEST, None),
            ("http://auth/token", None),
            (MANIFEST, Some("Bearer anon")),
            (MANIFEST, Some("Bearer anon")),
        ]
    );
    assert!(c.transport.seen[1]
        .0
        .ends_with("?service=reg&scope=repository%3Aa%2Fb%3Apull"));
    let statuses: Vec<_> = c
        .log()
        .iter()
        .map(|r| (r.purpose.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("manifest", 401),
            ("token", 200),
            ("manifest", 200),
            ("manifest", 200)
        ]
    );
    // The token belongs to the registry's origin only.
    assert_eq!(c.authorization("http://storage.example/blob"), None);
    assert_eq!(c.authorization("http://reg:8080/v2/"), None);
}

#[test]
fn credentials_go_to_the_token_service_only() {
    let mut c = client(false, Some("tester:s3cret"), None);
    block_on(c.manifest("latest")).unwrap();
    let s = seen(&c);
    assert_eq!(s[1].0, "http://auth/token");
    assert!(s[1].1.unwrap().starts_with("Basic "));
    assert_eq!(s[2], (MANIFEST, Some("Bearer user")));
    assert!(s
        .iter()
        .filter(|(u, _)| u.starts_with("http://reg/"))
        .all(|(_, a)| !a.is_some_and(|a| a.starts_with("Basic"))));
}

#[test]
fn refused_credentials_say_which() {
    let mut c = client(false, Some("tester:wrong"), None);
    let e = block_on(c.manifest("latest")).unwrap_err().to_string();
    assert!(
        e.starts_with("http://auth/token?")
            && e.contains("HTTP 401: the token service rejected the username and password"),
        "{e}"
    );
    assert_eq!(c.log().len(), 2);

    let mut c = client(true, Some("tester:wrong"), None);
    let e = block_on(c.manifest("latest")).unwrap_err().to_string();
    assert!(
        e.contains("the registry rejected the username and password (Basic auth)"),
        "{e}"
    );
    assert_eq!(seen(&c).len(), 2, "one retry, no loop");

    let mut c = client(true, None, None);
    let e = block_on(c.manifest("latest")).unwrap_err().to_string();
    assert!(e.contains("wants a username and password"), "{e}");
}

#[test]
fn basic_registry_gets_credentials_after_its_challenge() {
    let mut c = client(true, Some("tester:s3cret"), None);
    block_on(c.manifest("latest")).unwrap();
    block_on(c.manifest("latest")).unwrap();
    let s = seen(&c);
    assert_eq!(s.len(), 3, "401, retry, then Basic up front: {s:?}");
    assert_eq!(s[0].1, None);
    assert!(s[1..].iter().all(|(_, a)| a.unwrap().starts_with("Basic ")));
}

#[test]
fn supplied_token_is_used_up_front() {
    let mut c = client(false, None, Some("user"));
    block_on(c.manifest("latest")).unwrap();
    assert_eq!(seen(&c), [(MANIFEST, Some("Bearer user"))]);
    // A token the registry refuses: the anonymous dance takes over.
    let mut c = client(false, None, Some("stale"));
    block_on(c.manifest("latest")).unwrap();
    assert_eq!(
        seen(&c),
        [
            (MANIFEST, Some("Bearer stale")),
            ("http://auth/token", None),
            (MANIFEST, Some("Bearer anon"))
        ]
    );
}
