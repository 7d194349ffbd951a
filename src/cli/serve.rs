//! `ticketing serve`: take the port, migrate, then serve until SIGTERM or Ctrl-C; in-flight
//! requests finish before the process exits 0.

use anyhow::Context;

use crate::{app::AppState, config::Config};

pub async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    let bind = config.server.bind.clone();
    // The port first: a busy port fails before any file is touched.
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let _lock = super::ops::ServerLock::acquire(&config)?;
    let state = AppState::open(config)?;
    if demo && !super::demo::seed(&state).await? {
        tracing::info!("the database has data already; no demo seeded");
    }
    if state.store.has_no_owner().await? {
        tracing::warn!(
            "no platform owner yet; create one with: ticketing --db {} admin create --email you@example.com --name \"Your Name\" --role platform_owner",
            state.store.location()
        );
    }
    if let Some(mailer) = state.mailer.clone() {
        let (store, health, cfg) = (state.store.clone(), state.mail_health.clone(), state.config.mail.clone());
        tokio::spawn(async move {
            match mailer.check().await {
                Ok(()) => tracing::info!("the SMTP server answers"),
                Err(e) => {
                    tracing::warn!(error = %e, "the SMTP server cannot be reached; emails wait in the outbox");
                    health.set_error(Some(e.to_string()));
                }
            }
            crate::mail::sender::run(store, mailer, cfg, health).await;
        });
    }
    let shutdown = shutdown_signal()?;
    let addr = listener.local_addr()?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), database = %state.store.location(), "listening on http://{addr}");
    crate::http::serve(listener, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are in place when this
/// returns, before the server says it listens: a signal that comes at once
/// still stops it gracefully instead of killing it.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let stopped = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        }
    };
    #[cfg(not(unix))]
    let stopped = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Ok(async move {
        stopped.await;
        tracing::info!("shutting down; finishing in-flight requests");
    })
}
