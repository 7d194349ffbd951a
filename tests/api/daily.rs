//! Daily work: what each ticket is about (previews), who it waits on, what
//! is new for each person (read marks), counts, and the oldest-first queue.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::{Req, Seed, TestApp, create_ticket};

/// One person looking at tickets: their token, and their company if a manager.
#[derive(Clone)]
struct Person {
    name: &'static str,
    token: String,
    company: Option<i64>,
    admin_id: Option<i64>,
}

impl Person {
    fn base(&self) -> &'static str {
        if self.company.is_some() { "/api/support/tickets" } else { "/platform-admin/tickets" }
    }

    fn get<'a>(&self, app: &'a TestApp, path: &str) -> Req<'a> {
        let req = app.get(path).bearer(&self.token);
        match self.company {
            Some(c) => req.company(c),
            None => req,
        }
    }

    async fn ticket(&self, app: &TestApp, id: i64) -> Value {
        self.get(app, &format!("{}/{id}", self.base())).send().await.expect(200).json
    }

    /// The status code of reading the ticket (404 when out of their view).
    async fn ticket_status(&self, app: &TestApp, id: i64) -> u16 {
        self.get(app, &format!("{}/{id}", self.base())).send().await.status.as_u16()
    }

    /// The ticket as this person's list shows it.
    async fn row(&self, app: &TestApp, id: i64) -> Value {
        let page = self.get(app, &format!("{}?limit=100", self.base())).send().await.expect(200);
        page.json["items"].as_array().unwrap().iter().find(|t| t["id"] == id).cloned().expect("listed")
    }

    async fn mark_read(&self, app: &TestApp, id: i64, message_id: i64) -> u16 {
        let req = app.put(&format!("{}/{id}/read", self.base()), json!({"message_id": message_id})).bearer(&self.token);
        let req = match self.company {
            Some(c) => req.company(c),
            None => req,
        };
        req.send().await.status.as_u16()
    }

    /// Marks everything this person sees of the ticket read.
    async fn read_all(&self, app: &TestApp, id: i64) {
        let detail = self.ticket(app, id).await;
        let last = detail["messages"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
        assert_eq!(self.mark_read(app, id, last).await, 204, "{}", self.name);
    }
}

fn people(app: &TestApp, seed: &Seed) -> [Person; 4] {
    [
        Person { name: "Ada", token: app.user_token(seed.acme_manager), company: Some(seed.acme), admin_id: None },
        Person { name: "Bo", token: app.user_token(seed.both_manager), company: Some(seed.acme), admin_id: None },
        Person { name: "owner", token: app.admin_token(seed.owner), company: None, admin_id: Some(seed.owner) },
        Person {
            name: "Wes",
            token: app.admin_token(seed.support_web),
            company: None,
            admin_id: Some(seed.support_web),
        },
    ]
}

async fn unread_of(app: &TestApp, everyone: &[Person], id: i64) -> Vec<bool> {
    let mut out = Vec::new();
    for p in everyone {
        let row = p.row(app, id).await;
        let detail = p.ticket(app, id).await;
        assert_eq!(row["unread"], detail["ticket"]["unread"], "{}: the list and the ticket agree", p.name);
        out.push(row["unread"].as_bool().unwrap());
    }
    out
}

#[tokio::test]
async fn preview_waiting_on_and_unread_follow_a_whole_conversation_per_person() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let everyone = people(&app, &seed);
    let [ada, bo, owner, wes] = everyone.clone();
    let id = seed.acme_web;

    // Opened by Ada: it waits on an agent, and is new for everyone but her.
    let row = ada.row(&app, id).await;
    assert_eq!(row["preview"], "Contact form not sending");
    assert_eq!(row["last_message_sender_type"], "tenant");
    assert!(row["last_message_at"].is_string());
    assert_eq!(row["waiting_on"], "agent");
    assert_eq!(unread_of(&app, &everyone, id).await, [false, true, true, true]);

    // Bo reads it: new for nobody else less.
    bo.read_all(&app, id).await;
    assert_eq!(unread_of(&app, &everyone, id).await, [false, false, true, true]);

    // The owner reads it and answers, with white space to collapse.
    owner.read_all(&app, id).await;
    app.post(&format!("/platform-admin/tickets/{id}/messages"), json!({"body": "We are   on it.\n\nHold on."}))
        .bearer(&owner.token)
        .send()
        .await
        .expect(201);
    for p in &everyone {
        let row = p.row(&app, id).await;
        assert_eq!(row["preview"], "We are on it. Hold on.", "{}", p.name);
        assert_eq!(row["last_message_sender_type"], "agent");
        assert_eq!(row["waiting_on"], "tenant", "{}", p.name);
    }
    assert_eq!(unread_of(&app, &everyone, id).await, [true, true, false, true]);

    // Ada reads and answers; a tenant reply never changes the status.
    ada.read_all(&app, id).await;
    let status_before = ada.ticket(&app, id).await["ticket"]["status"].clone();
    app.post(&format!("/api/support/tickets/{id}/messages"), json!({"body": "Thanks, it is invoice #72."}))
        .bearer(&ada.token)
        .company(seed.acme)
        .send()
        .await
        .expect(201);
    assert_eq!(ada.ticket(&app, id).await["ticket"]["status"], status_before);
    assert_eq!(ada.row(&app, id).await["waiting_on"], "agent");
    assert_eq!(unread_of(&app, &everyone, id).await, [false, true, true, true]);

    // A status change is news in the thread, but not a preview; for the
    // agent who made it (having read all before) it is not new.
    wes.read_all(&app, id).await;
    app.patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "waiting_on_tenant"}))
        .bearer(&wes.token)
        .send()
        .await
        .expect(200);
    let row = ada.row(&app, id).await;
    assert_eq!(row["preview"], "Thanks, it is invoice #72.", "system notes are not previews");
    assert_eq!(row["waiting_on"], "agent", "the customer answered last: it waits on the team");
    assert_eq!(unread_of(&app, &everyone, id).await, [true, true, true, false]);

    app.patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "solved"}))
        .bearer(&owner.token)
        .send()
        .await
        .expect(200);
    for p in &everyone {
        assert!(p.row(&app, id).await["waiting_on"].is_null(), "{}: a solved ticket waits on no one", p.name);
    }
}

#[tokio::test]
async fn a_read_mark_never_moves_back_stays_in_the_visible_thread_and_writes_no_audit_row() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let [_, bo, owner, _] = people(&app, &seed);
    let id = seed.acme_web;
    for i in 0..3 {
        app.post(&format!("/platform-admin/tickets/{id}/messages"), json!({"body": format!("answer {i}")}))
            .bearer(&owner.token)
            .send()
            .await
            .expect(201);
    }
    let detail = bo.ticket(&app, id).await;
    let ids: Vec<i64> = detail["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    let audit_rows = app.count("platform_audit_log");
    let etag_of = |v: &Value| v.clone();
    let before_other = etag_of(&owner.ticket(&app, id).await);

    assert_eq!(bo.mark_read(&app, id, *ids.last().unwrap()).await, 204);
    assert!(!bo.row(&app, id).await["unread"].as_bool().unwrap());
    assert_eq!(bo.mark_read(&app, id, ids[0]).await, 204, "an older mark is accepted");
    assert!(!bo.row(&app, id).await["unread"].as_bool().unwrap(), "but the mark does not move back");

    assert_eq!(bo.mark_read(&app, id, 999_999).await, 422, "not a message of this thread");
    let other_ticket_message = {
        let d = bo.ticket(&app, seed.acme_billing).await;
        d["messages"][0]["id"].as_i64().unwrap()
    };
    assert_eq!(bo.mark_read(&app, id, other_ticket_message).await, 422, "a message of another ticket");
    let globex =
        Person { name: "Gus", token: app.user_token(seed.globex_manager), company: Some(seed.globex), admin_id: None };
    assert_eq!(globex.mark_read(&app, id, ids[0]).await, 404, "another company's ticket is not found");
    let bad = app
        .put(&format!("/api/support/tickets/{id}/read"), json!({"message_id": "x"}))
        .bearer(&bo.token)
        .company(seed.acme)
        .send()
        .await;
    assert_eq!(bad.status, 422);

    assert_eq!(app.count("platform_audit_log"), audit_rows, "read marks are not audited");
    assert_eq!(owner.ticket(&app, id).await, before_other, "nobody else's view changed");
}

/// Walks every page of a list.
async fn walk(app: &TestApp, person: &Person, filters: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if filters.is_empty() { "" } else { "&" };
        let path = match &cursor {
            Some(c) => format!("{}?limit=7{sep}{filters}&cursor={c}", person.base()),
            None => format!("{}?limit=7{sep}{filters}", person.base()),
        };
        let page = person.get(app, &path).send().await.expect(200);
        all.extend(page.json["items"].as_array().unwrap().iter().cloned());
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}

/// What the counts must say, found by walking the list.
fn expected_counts(items: &[Value], me: Option<i64>) -> Value {
    let mut by_status: BTreeMap<String, i64> =
        ticketing::domain::Status::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
    let (mut unread, mut waiting, mut mine, mut unassigned) = (0, 0, 0, 0);
    for t in items {
        *by_status.get_mut(t["status"].as_str().unwrap()).unwrap() += 1;
        let open = !matches!(t["status"].as_str(), Some("solved" | "closed"));
        if open && t["unread"] == true {
            unread += 1;
        }
        if t["waiting_on"] == "agent" {
            waiting += 1;
        }
        if open && me.is_some() && t["assigned_admin_id"].as_i64() == me {
            mine += 1;
        }
        if open && t["assigned_admin_id"].is_null() {
            unassigned += 1;
        }
    }
    let mut counts = json!({"by_status": by_status, "unread": unread, "waiting_on_agent": waiting});
    if me.is_some() {
        counts["mine"] = json!(mine);
        counts["unassigned"] = json!(unassigned);
    }
    counts
}

async fn counts_agree_with_the_lists(app: &TestApp, everyone: &[Person]) {
    let shared =
        ["", "q=invoice", "waiting_on=agent", "waiting_on=tenant", "open=true", "updated_since=2000-01-01T00:00:00Z"];
    let platform =
        ["subject=billing", "company_id=1", "assigned=me", "assigned=unassigned", "subject=website&open=true"];
    for person in everyone {
        let filters: Vec<&str> =
            shared.iter().chain(if person.company.is_none() { platform.as_slice() } else { &[] }).copied().collect();
        for filter in filters {
            let items = walk(app, person, filter).await;
            let counts = person.get(app, &format!("{}/counts?{filter}", person.base())).send().await.expect(200);
            assert_eq!(counts.json, expected_counts(&items, person.admin_id), "{} with {filter:?}", person.name);
        }
    }
}

#[tokio::test]
async fn counts_equal_what_walking_the_list_finds_for_every_caller_and_filter() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner_token = app.admin_token(seed.owner);
    for (company, manager, subject, body) in [
        (seed.acme, seed.acme_manager, "billing", "Second invoice question"),
        (seed.acme, seed.both_manager, "website", "The menu is broken"),
        (seed.globex, seed.globex_manager, "billing", "Refund please, invoice 9"),
        (seed.globex, seed.both_manager, "website", "Logo is blurry"),
    ] {
        create_ticket(&app, manager, company, subject, body).await;
    }
    // A spread of states: answered, solved, closed, assigned, read by some.
    app.post(&format!("/platform-admin/tickets/{}/messages", seed.acme_web), json!({"body": "Looking"}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(201);
    app.patch(&format!("/platform-admin/tickets/{}/status", seed.globex_email), json!({"status": "solved"}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    app.patch("/platform-admin/tickets/5/status", json!({"status": "closed"}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    app.patch("/platform-admin/tickets/4/assign", json!({"admin_id": seed.support_billing}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    let mut everyone: Vec<Person> = people(&app, &seed).to_vec();
    everyone[1].read_all(&app, seed.acme_web).await;
    everyone.extend([
        Person { name: "Gus", token: app.user_token(seed.globex_manager), company: Some(seed.globex), admin_id: None },
        Person {
            name: "Bo as Globex",
            token: app.user_token(seed.both_manager),
            company: Some(seed.globex),
            admin_id: None,
        },
        Person { name: "admin", token: app.admin_token(seed.admin), company: None, admin_id: Some(seed.admin) },
        Person {
            name: "Bea",
            token: app.admin_token(seed.support_billing),
            company: None,
            admin_id: Some(seed.support_billing),
        },
        Person {
            name: "Sal",
            token: app.admin_token(seed.support_assigned),
            company: None,
            admin_id: Some(seed.support_assigned),
        },
    ]);
    counts_agree_with_the_lists(&app, &everyone).await;

    // Coverage and assignment move what support agents see, and their counts with it.
    app.put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": ["billing"]}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    app.patch(&format!("/platform-admin/tickets/{}/assign", seed.acme_billing), json!({"admin_id": seed.support_web}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    counts_agree_with_the_lists(&app, &everyone).await;

    // Read marks stay right through a solve and a reopen, an internal note
    // (new for the team only) and a reply to a ticket everyone had read.
    for person in everyone.iter().filter(|p| p.company.is_none() || p.company == Some(seed.globex)) {
        if person.ticket_status(&app, seed.globex_email).await == 200 {
            person.read_all(&app, seed.globex_email).await;
        }
    }
    for person in everyone.iter().filter(|p| p.company.is_none() || p.company == Some(seed.acme)) {
        if person.ticket_status(&app, seed.acme_web).await == 200 {
            person.read_all(&app, seed.acme_web).await;
        }
    }
    counts_agree_with_the_lists(&app, &everyone).await;
    app.patch(&format!("/platform-admin/tickets/{}/status", seed.globex_email), json!({"status": "in_progress"}))
        .bearer(&owner_token)
        .send()
        .await
        .expect(200);
    app.post(
        &format!("/platform-admin/tickets/{}/messages", seed.acme_web),
        json!({"body": "Team only", "internal": true}),
    )
    .bearer(&app.admin_token(seed.admin))
    .send()
    .await
    .expect(201);
    counts_agree_with_the_lists(&app, &everyone).await;
    app.post(&format!("/api/support/tickets/{}/messages", seed.globex_email), json!({"body": "Still broken"}))
        .bearer(&app.user_token(seed.globex_manager))
        .company(seed.globex)
        .send()
        .await
        .expect(201);
    counts_agree_with_the_lists(&app, &everyone).await;

    // Counts answer 304 like a list while nothing changed.
    let owner = &everyone[2];
    let first = owner.get(&app, "/platform-admin/tickets/counts").send().await.expect(200);
    let tag = first.header("etag").unwrap().to_string();
    owner.get(&app, "/platform-admin/tickets/counts").header("if-none-match", &tag).send().await.expect(304);
    create_ticket(&app, seed.acme_manager, seed.acme, "website", "Changes the counts").await;
    owner.get(&app, "/platform-admin/tickets/counts").header("if-none-match", &tag).send().await.expect(200);
}

#[tokio::test]
async fn the_oldest_first_queue_pages_in_order_while_tickets_arrive() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    for i in 0..8 {
        create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("Queue ticket {i}")).await;
    }
    let owner = app.admin_token(seed.owner);
    let existing: BTreeSet<i64> =
        walk(&app, &people(&app, &seed)[2], "").await.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/platform-admin/tickets?order=oldest&limit=3&cursor={c}"),
            None => "/platform-admin/tickets?order=oldest&limit=3".to_string(),
        };
        let page = app.get(&path).bearer(&owner).send().await.expect(200);
        for t in page.json["items"].as_array().unwrap() {
            seen.push((t["last_activity_at"].as_str().unwrap().to_string(), t["id"].as_i64().unwrap()));
        }
        // Meanwhile a new ticket arrives (it sorts last).
        create_ticket(&app, seed.globex_manager, seed.globex, "email", "Arrived while paging").await;
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let ids: Vec<i64> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "no ticket twice");
    assert!(existing.iter().all(|id| ids.contains(id)), "every ticket that existed is there");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "oldest activity first, throughout");

    // A cursor from one order is refused in the other.
    let newest = app.get("/platform-admin/tickets?limit=1").bearer(&owner).send().await.expect(200);
    let c = newest.json["next_cursor"].as_str().unwrap();
    let refused = app
        .get(&format!("/platform-admin/tickets?order=oldest&cursor={c}"))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused.json["errors"][0]["field"], "cursor");
    app.get("/platform-admin/tickets?order=sideways").bearer(&owner).send().await.problem(422, "validation_failed");
}
