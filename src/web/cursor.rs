//! Keyset-pagination cursors as opaque, URL-safe tokens: `kind:id:value`, base64url.
//! Each list defines what its kinds and values mean; this is only the codec.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A token for the row `id` at `value` (a sort key written as text) of ordering `kind`.
pub fn encode(kind: &str, id: i64, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}:{value}"))
}

/// `(kind, id, value)`, or `None` for anything [`encode`] did not make.
pub fn decode(token: &str) -> Option<(String, i64, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let raw = String::from_utf8(bytes).ok()?;
    let mut parts = raw.splitn(3, ':');
    let kind = parts.next()?.to_owned();
    let id = parts.next()?.parse().ok()?;
    let value = parts.next()?.to_owned();
    Some((kind, id, value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_values_with_colons_and_refuses_garbage() {
        let t = super::encode("n", 7, "Acme: EU");
        assert_eq!(super::decode(&t), Some(("n".into(), 7, "Acme: EU".into())));
        assert_eq!(super::decode("not base64!"), None);
        assert_eq!(
            super::decode(&super::encode("n", 1, "")).map(|c| c.1),
            Some(1)
        );
    }
}
