//! Tracing to stdout in one line per event, which the nucleus appends to the component's log:
//! `2026-11-25T21:00:00.123Z [INFO] component=acme.Sensor Started. key=value span_field=value`.
//! The level comes from `RUST_LOG` when set, otherwise from the `logLevel` config key, and follows
//! configuration updates without a restart. Filters are a level or `target=level` pairs
//! (`info,ggipc=debug`): `tracing_subscriber`'s `Targets`, which needs no regex engine in the
//! binary (`EnvFilter`'s span and field filters would add about 0.6 MB to every component).

use edge_model::time::{now_ms, rfc3339_millis};
use std::fmt;
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Registry, reload};

/// The level used when neither `RUST_LOG` nor `logLevel` says otherwise.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// The kit's event format (see the module docs). Usable in tests with any writer:
/// `tracing_subscriber::fmt().with_ansi(false).event_format(GreengrassFormat::new(NAME))`.
#[derive(Debug, Clone, Copy)]
pub struct GreengrassFormat {
    component: &'static str,
}

impl GreengrassFormat {
    /// A format that tags every line with `component=<component>`.
    pub fn new(component: &'static str) -> Self {
        Self { component }
    }
}

impl<S, N> FormatEvent<S, N> for GreengrassFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(
            writer,
            "{} [{}] component={} ",
            rfc3339_millis(now_ms()),
            event.metadata().level(),
            self.component
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, " {fields}")?;
                }
            }
        }
        writeln!(writer)
    }
}

/// Changes the active log filter after a configuration update.
#[derive(Debug, Clone, Default)]
pub struct LogHandle {
    reload: Option<reload::Handle<Targets, Registry>>,
    /// `RUST_LOG` was set: it wins over `logLevel`.
    env_wins: bool,
}

impl LogHandle {
    /// A handle that changes nothing (tracing installed by someone else, or not at all).
    pub fn detached() -> Self {
        Self::default()
    }

    /// Applies the `logLevel` filter (`None`: the default), unless `RUST_LOG` is set.
    pub fn apply(&self, filter: Option<&str>) {
        let Some(handle) = &self.reload else {
            return;
        };
        if self.env_wins {
            return;
        }
        let directive = filter.unwrap_or(DEFAULT_LOG_FILTER);
        match directive.parse::<Targets>() {
            Ok(f) => {
                if let Err(e) = handle.reload(f) {
                    tracing::warn!(error = %e, "Could not change the log level.");
                }
            }
            Err(e) => {
                tracing::warn!(filter = directive, error = %e, "Ignoring an invalid log filter.")
            }
        }
    }
}

/// [`DEFAULT_LOG_FILTER`] parsed (a test checks that it parses).
fn default_filter() -> Targets {
    DEFAULT_LOG_FILTER.parse().unwrap_or_default()
}

/// Installs the global subscriber: stdout, [`GreengrassFormat`], filter from `RUST_LOG` or
/// [`DEFAULT_LOG_FILTER`]. If a global subscriber already exists (tests), returns a detached
/// handle and leaves it alone.
pub fn init(component: &'static str) -> LogHandle {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (initial, env_wins, bad_env) = match from_env.as_deref().map(str::parse::<Targets>) {
        Some(Ok(f)) => (f, true, None),
        Some(Err(e)) => (default_filter(), false, Some(e.to_string())),
        None => (default_filter(), false, None),
    };
    let (filter, handle) = reload::Layer::new(initial);
    let fmt_layer = tracing_subscriber::fmt::layer()
        .event_format(GreengrassFormat::new(component))
        .with_ansi(false)
        .with_writer(std::io::stdout);
    let installed = Registry::default()
        .with(filter)
        .with(fmt_layer)
        .try_init()
        .is_ok();
    if !installed {
        return LogHandle::detached();
    }
    if let Some(e) = bad_env {
        tracing::warn!(error = %e, "Ignoring RUST_LOG: not a valid filter.");
    }
    LogHandle {
        reload: Some(handle),
        env_wins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn default_filter_is_info() {
        let filter = default_filter();
        assert!(filter.would_enable("filter_aggregator", &Level::INFO));
        assert!(!filter.would_enable("filter_aggregator", &Level::DEBUG));
    }

    #[test]
    fn target_directives_refine_the_default() {
        let filter: Targets = "warn,ggipc=debug".parse().unwrap();
        assert!(filter.would_enable("ggipc::client", &Level::DEBUG));
        assert!(!filter.would_enable("component_kit", &Level::INFO));
        assert!(filter.would_enable("component_kit", &Level::WARN));
        assert!("ggipc=loud".parse::<Targets>().is_err());
    }
}
