//! Who is who: the SVCUID of each running component and its authorization policies.

use super::authz::AccessControl;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Maps tokens to components and components to their policies.
#[derive(Debug, Default)]
pub struct Registry {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_token: HashMap<String, Arc<str>>,
    tokens: HashMap<String, String>,
    acl: HashMap<String, Arc<AccessControl>>,
}

/// 16 random upper-case letters, like the Java nucleus's SVCUIDs.
pub fn new_token() -> String {
    (0..16).map(|_| fastrand::uppercase()).collect()
}

impl Registry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The component's token, issued on first use and stable afterwards.
    pub fn token_for(&self, component: &str) -> String {
        if let Some(t) = self.read().tokens.get(component) {
            return t.clone();
        }
        let mut inner = self.write();
        if let Some(t) = inner.tokens.get(component) {
            return t.clone();
        }
        let token = new_token();
        inner.tokens.insert(component.to_owned(), token.clone());
        inner.by_token.insert(token.clone(), Arc::from(component));
        token
    }

    /// Registers a fixed token (the CLI's, or tests').
    pub fn insert_token(&self, component: &str, token: &str) {
        let mut inner = self.write();
        inner.tokens.insert(component.to_owned(), token.to_owned());
        inner
            .by_token
            .insert(token.to_owned(), Arc::from(component));
    }

    /// The component a token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<Arc<str>> {
        self.read().by_token.get(token).cloned()
    }

    /// Replaces a component's policies (on every deployment).
    pub fn set_access_control(&self, component: &str, acl: AccessControl) {
        self.write().acl.insert(component.to_owned(), Arc::new(acl));
    }

    /// A component's policies; none means deny all.
    pub fn access_control(&self, component: &str) -> Arc<AccessControl> {
        self.read().acl.get(component).cloned().unwrap_or_default()
    }
}
