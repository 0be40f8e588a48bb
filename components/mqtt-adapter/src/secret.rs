//! The broker password from Secrets Manager through IPC GetSecretValue. The value is never
//! logged; errors name the secret id only.

use component_kit::Ctx;

/// The password in `secret_id`: its string, or the `password` key of a JSON object.
pub async fn read_password(ctx: &Ctx, secret_id: &str) -> Result<String, String> {
    let response = ctx
        .ipc()
        .get_secret_value(secret_id)
        .await
        .map_err(|e| format!("cannot read secret {secret_id:?}: {e}"))?;
    let text = response
        .secret_value
        .secret_string
        .ok_or_else(|| format!("secret {secret_id:?} has no string value"))?;
    Ok(password_of(&text))
}

/// `{"password": "..."}` → the password; any other text is the password itself.
fn password_of(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => match map.get("password") {
            Some(serde_json::Value::String(p)) => p.clone(),
            _ => text.to_owned(),
        },
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::password_of;

    #[test]
    fn plain_or_json_secrets() {
        assert_eq!(password_of("s3cret"), "s3cret");
        assert_eq!(password_of(r#"{"username":"u","password":"p"}"#), "p");
        assert_eq!(password_of("\"quoted\""), "\"quoted\"");
    }
}
