//! What an email says: plain text and HTML (escaped), the ticket's subject
//! and number, who said what, a link to the ticket in the person's UI, why
//! they got it, and how to stop. Threading: one `Message-ID` per email and,
//! per ticket, an `In-Reply-To`/`References` root, so mail clients keep a
//! ticket's emails together. No tracking of any kind.

use lettre::{
    Message,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
};

use super::{Mailer, unsubscribe::Unsubscribe};
use crate::{
    domain::{AccountKind, Status},
    service::notify::{Deliverable, Happening, InvitationPayload, TicketPayload, Topic},
};

/// A header lettre has no type for.
fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A status in the words of the UI's badges.
fn status_label(status: Status) -> &'static str {
    match status {
        Status::New => "New",
        Status::Triaged => "Triaged",
        Status::InProgress => "In progress",
        Status::WaitingOnTenant => "Waiting on customer",
        Status::NeedsEngineering => "Needs engineering",
        Status::Solved => "Solved",
        Status::Closed => "Closed",
    }
}

/// Escapes text for HTML.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One event in words: "Ada replied:", "Sam set the status to Solved.".
fn headline(h: &Happening) -> String {
    let status = h.status.map(status_label);
    match (h.topic, status) {
        (Topic::NewTicket, _) => format!("{} opened a ticket:", h.author),
        (Topic::TenantMessage, _) => format!("{} wrote:", h.author),
        (Topic::AgentReply, Some(status)) if h.text.is_some() => {
            format!("{} replied and set the status to {status}:", h.author)
        }
        (Topic::AgentReply, Some(status)) => format!("{} set the status to {status}.", h.author),
        (Topic::AgentReply, None) => format!("{} replied:", h.author),
        (Topic::Assignment, _) => {
            format!("{} assigned the ticket to {}.", h.author, h.assignee.as_deref().unwrap_or("you"))
        }
        (Topic::InternalNote, _) => format!("{} added an internal note (the customer does not see it):", h.author),
        (Topic::Invitation, _) => String::new(),
    }
}

fn subject_line(topic: Topic, ticket_subject: &str, id: i64, status: Option<Status>) -> String {
    let what = match (topic, status) {
        (Topic::NewTicket, _) => "New ticket",
        (Topic::TenantMessage, _) => "New message",
        (Topic::AgentReply, Some(Status::Solved)) => "Solved",
        (Topic::AgentReply, Some(Status::Closed)) => "Closed",
        (Topic::AgentReply, Some(Status::WaitingOnTenant)) => "Waiting for you",
        (Topic::AgentReply, _) => "New reply",
        (Topic::Assignment, _) => "Assigned to you",
        (Topic::InternalNote, _) => "Internal note",
        (Topic::Invitation, _) => "Invitation",
    };
    format!("[#{id}] {what}: {ticket_subject}")
}

/// The email of an outbox row, ready to send.
pub fn compose(mailer: &Mailer, d: &Deliverable) -> anyhow::Result<Message> {
    let to: Mailbox = d.row.to.parse().map_err(|e| anyhow::anyhow!("the address {:?}: {e}", d.row.to))?;
    let message_id = format!("<n{}.{}@{}>", d.row.id, d.row.created.micros(), mailer.domain);
    let builder = Message::builder().from(mailer.from.clone()).to(to).message_id(Some(message_id));
    let Some(ticket) = &d.ticket else {
        let payload: InvitationPayload = serde_json::from_str(&d.row.payload)?;
        let (text, html) = invitation_body(&payload);
        let subject = format!("Your account: choose a password ({})", mailer.domain);
        return Ok(builder.subject(subject).multipart(MultiPart::alternative_plain_html(text, html))?);
    };
    let payload: TicketPayload = serde_json::from_str(&d.row.payload)?;
    let first = payload.events.first().cloned().ok_or_else(|| anyhow::anyhow!("an email with no event"))?;
    let last_status = payload.events.iter().rev().find_map(|h| h.status);
    let label = mailer.subject_label(&ticket.subject, ticket.sub_subject.as_deref());
    let id = ticket.id.get();
    let thread = format!("<ticket-{id}@{}>", mailer.domain);
    let area = if d.row.recipient_kind == AccountKind::User { "manager" } else { "admin" };
    let link = format!("{}/{area}/tickets/{id}", mailer.link_base);
    let what = d.row.kind.clone();
    let token = mailer.unsubscribe.sign(&Unsubscribe { kind: d.row.recipient_kind, id: d.row.recipient_id, what });
    let stop_page = format!("{}/unsubscribe?token={token}", mailer.link_base);
    let one_click = format!("{}/api/notifications/unsubscribe?token={token}", mailer.link_base);

    let mut text = format!("Ticket #{id}: {label} ({})\n\n", ticket.company.name);
    let mut html = format!(
        "<p style=\"color:#555\">Ticket #{id}: <strong>{}</strong> ({})</p>\n",
        html_escape(&label),
        html_escape(&ticket.company.name)
    );
    for h in &payload.events {
        text.push_str(&headline(h));
        text.push('\n');
        html.push_str(&format!("<p><strong>{}</strong></p>\n", html_escape(&headline(h))));
        if let Some(body) = &h.text {
            for line in body.lines() {
                text.push_str("> ");
                text.push_str(line);
                text.push('\n');
            }
            let paragraphs = html_escape(body).replace('\n', "<br>\n");
            html.push_str(&format!(
                "<blockquote style=\"margin:0 0 1em;padding-left:1em;border-left:3px solid #ccc\">{paragraphs}</blockquote>\n"
            ));
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "Open the ticket: {link}\n\n--\nYou get this email because {}.\nStop these emails: {stop_page}\n",
        payload.reason
    ));
    html.push_str(&format!(
        "<p><a href=\"{}\">Open the ticket</a></p>\n<hr>\n<p style=\"color:#777;font-size:0.9em\">You get this email because {}. \
         <a href=\"{}\">Stop these emails</a>.</p>\n",
        html_escape(&link),
        html_escape(&payload.reason),
        html_escape(&stop_page)
    ));
    let subject = subject_line(first.topic, &label, id, last_status);
    let message = builder
        .subject(subject)
        .in_reply_to(thread.clone())
        .references(thread)
        .raw_header(raw("List-Unsubscribe", format!("<{one_click}>")))
        .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()))
        .raw_header(raw("Auto-Submitted", "auto-generated".into()))
        .multipart(MultiPart::alternative_plain_html(
            text,
            format!("<!doctype html>\n<html><body>\n{html}</body></html>\n"),
        ))?;
    Ok(message)
}

fn invitation_body(p: &InvitationPayload) -> (String, String) {
    let door = if p.for_kind == "admin" { "the support team's desk" } else { "your company's support tickets" };
    let text = format!(
        "Hello {},\n\nAn account was made for you, for {door}. Choose your password here (the link works once, until {}):\n\n{}\n\nIf you did not expect this, ignore this email.\n",
        p.name, p.expires_at, p.url
    );
    let html = format!(
        "<!doctype html>\n<html><body>\n<p>Hello {},</p>\n<p>An account was made for you, for {door}. \
         <a href=\"{}\">Choose your password</a> (the link works once, until {}).</p>\n<p style=\"color:#777\">If you did not expect this, ignore this email.</p>\n</body></html>\n",
        html_escape(&p.name),
        html_escape(&p.url),
        html_escape(&p.expires_at)
    );
    (text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
