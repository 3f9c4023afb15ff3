//! The logs of the functions and of `authctl`: JSON lines where Lambda asks for them
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`, which the template sets), text lines elsewhere (`authctl
//! serve`, `cargo lambda watch`, `sam local`). The level comes from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO: the same rules as `lambda_http`'s default subscriber.
//!
//! Client-supplied text reaches log fields (a refused `grant_type` or `scope` in an error
//! message). JSON escapes it; in text lines every control character of a field is escaped
//! here, so a newline cannot forge a line and an escape sequence cannot rewrite a terminal.

use std::fmt::Write as _;
use std::str::FromStr as _;

use tracing_subscriber::{
    self as subscriber,
    field::RecordFields,
    filter::{LevelFilter, Targets},
    fmt::{
        format::{DefaultFields, Writer},
        FormatFields, MakeWriter,
    },
    layer::SubscriberExt as _,
    registry::LookupSpan,
    util::SubscriberInitExt as _,
    Layer,
};

/// Installs the process's subscriber, writing to `writer`.
pub fn init<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| LevelFilter::from_str(&level).ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), level);
    let layer = if json {
        json_layer(writer).boxed()
    } else {
        text_layer(writer).boxed()
    };
    // A second call (tests, a restarted runtime) keeps the first subscriber.
    let _ = subscriber::registry().with(filter).with(layer).try_init();
}

/// `RUST_LOG`'s `level` and `target=level` directives (`warn`, `warn,token_service=debug`),
/// else everything at `level`. Each directive is read on its own: an empty one (`warn,`) is
/// skipped and an unreadable one is skipped with a line on stderr, as `EnvFilter` did, so that
/// neither silences the warnings the alarms count. `Targets` rather than `EnvFilter`: no span
/// or field filters, and no regex engine in every function's binary.
fn filter(directives: Option<&str>, level: LevelFilter) -> Targets {
    let mut read = Vec::new();
    for directive in directives.unwrap_or("").split(',').map(str::trim) {
        match directive.parse::<Targets>() {
            _ if directive.is_empty() => {}
            Ok(one) if !directive.contains(['[', '{']) => read.push(one),
            _ => eprintln!(
                "RUST_LOG: `{directive}` ignored (only `level` and `target=level` are read)"
            ),
        }
    }
    if read.is_empty() {
        return Targets::new().with_default(level);
    }
    read.into_iter().fold(Targets::new(), |targets, one| {
        let targets = match one.default_level() {
            Some(default) => targets.with_default(default),
            None => targets,
        };
        targets.with_targets(one.iter().map(|(target, level)| (target.to_owned(), level)))
    })
}

/// JSON lines, as Lambda's JSON log format expects.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .json()
        .with_writer(writer)
}

/// Text lines with every control character in their fields escaped.
pub fn text_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .fmt_fields(EscapedFields::default())
        .with_writer(writer)
}

/// The default field formatting, with control characters escaped afterwards.
#[derive(Debug, Default)]
pub struct EscapedFields(DefaultFields);

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut raw = String::new();
        self.0.format_fields(Writer::new(&mut raw), fields)?;
        writer.write_str(&escape_controls(&raw))
    }
}

/// `text` with each control character, the Unicode line and paragraph separators and the
/// bidirectional controls (which reorder how a line reads) written as a Rust escape: `\n`,
/// `\r`, `\t`, `\u{1b}`, `\u{202e}`, ...
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.contains(unsafe_char) {
        return text.into();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(escaped, "\\u{{{:x}}}", c as u32);
            }
            c => escaped.push(c),
        }
    }
    escaped.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_directives_filter_by_target_and_the_level_is_the_fallback() {
        use tracing::Level;
        let info = LevelFilter::INFO;
        let only = filter(Some("token_service=debug"), info);
        assert!(only.would_enable("token_service::oauth", &Level::DEBUG));
        assert!(!only.would_enable("aws_smithy_runtime", &Level::ERROR));
        let mixed = filter(Some("warn,token_service=debug"), info);
        assert!(mixed.would_enable("aws_config", &Level::WARN));
        assert!(!mixed.would_enable("aws_config", &Level::INFO));
        assert!(mixed.would_enable("token_service", &Level::DEBUG));
        // An empty directive is skipped, not read as ERROR; an unreadable one is skipped alone.
        let trailing = filter(Some("warn,"), info);
        assert!(trailing.would_enable("token_service", &Level::WARN));
        let one_bad = filter(Some("error,token_service=verbose,aws_config=debug"), info);
        assert!(one_bad.would_enable("aws_config", &Level::DEBUG));
        assert!(one_bad.would_enable("token_service", &Level::ERROR));
        assert!(!one_bad.would_enable("token_service", &Level::WARN));
        for unset_or_unreadable in [
            None,
            Some(""),
            Some(","),
            Some("token_service=loud"),
            Some("token_service[sign_in]=debug"),
        ] {
            let fallback = filter(unset_or_unreadable, info);
            assert!(
                fallback.would_enable("anything", &Level::INFO),
                "{unset_or_unreadable:?}: {fallback:?}"
            );
            assert!(!fallback.would_enable("anything", &Level::DEBUG));
        }
    }

    #[test]
    fn control_characters_are_escaped_and_nothing_else_changes() {
        assert_eq!(
            escape_controls("plain text, ünïcode"),
            "plain text, ünïcode"
        );
        assert_eq!(
            escape_controls("a\nb\rc\td\u{1b}[31me\0f\u{7f}g\u{2028}h"),
            "a\\nb\\rc\\td\\u{1b}[31me\\u{0}f\\u{7f}g\\u{2028}h"
        );
        assert_eq!(
            escape_controls("user\u{202e}nimda\u{2066}x"),
            "user\\u{202e}nimda\\u{2066}x"
        );
    }
}
