//! Ticket listings: the scope in SQL equals `AccountScope::contains`, every filter, every sort key
//! in both directions with the number as tie-break, pages and totals.

use std::cmp::Ordering;

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::{AccountId, TicketId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::tickets::{Priority, Status, Ticket};
use tamhub_store::{SlaSnapshot, StatusFilter, TicketChange, TicketQuery, TicketSort};

use crate::accounts::{Team, portfolio, scopes, team};
use crate::tickets::{change, created, empty_sla, event, ticket};
use crate::{DynStore, at, each_store};

const TITLES: [&str; 8] =
    ["Login fails", "LOGIN slow", "100% CPU", "100 percent disk", "under_score", "underXscore", "Plain", "back\\slash"];

/// A stored ticket and the due instant its SLA snapshot gave it.
#[derive(Clone, Debug)]
struct Listed {
    ticket: Ticket,
    account: Account,
    due: Option<Timestamp>,
}

/// 45 tickets over the portfolio's accounts: every status, priority and assignee pattern, with
/// ties on every sort key and missing due instants.
async fn tickets(store: &DynStore, t: &Team, accounts: &[Account]) -> Vec<Listed> {
    let mut out = Vec::new();
    for i in 0..45_usize {
        let owner = &accounts[(i * 7) % accounts.len()];
        let mut tk = ticket(owner.id, TITLES[i % TITLES.len()]);
        tk.priority = Priority::ALL[(i / 2) % 4].0;
        tk.status = Status::ALL[i % 6].0;
        tk.assignee_id = [None, Some(t.sup1.id), Some(t.tam1.id), Some(t.tam2.id), None][i % 5];
        tk.created_at = at((i as i64 * 13) % 7);
        tk.updated_at = at((i as i64 * 5) % 4);
        let due = (i % 4 != 0).then(|| at(1_000 + (i as i64 * 17) % 9));
        let first = event(&tk, 1, 0, created(&tk));
        let sla = SlaSnapshot { due_at: due, ..empty_sla(at(0)) };
        let new = TicketChange { is_new: true, sla, ..change(&tk, 0, vec![first]) };
        let stored = store.save_ticket_change(&new).await.expect("create ticket");
        out.push(Listed { ticket: stored, account: owner.clone(), due });
    }
    out
}

fn rank(p: Priority) -> usize {
    p as usize
}

/// The stores' ORDER BY, in memory: the key in the asked direction (tickets without a due instant
/// last either way), then the number in the same direction.
fn expected_order(items: &mut [Listed], sort: TicketSort, descending: bool) {
    items.sort_by(|a, b| {
        let nulls = if sort == TicketSort::Due { a.due.is_none().cmp(&b.due.is_none()) } else { Ordering::Equal };
        let key = match sort {
            TicketSort::Due => a.due.cmp(&b.due),
            TicketSort::Updated => a.ticket.updated_at.cmp(&b.ticket.updated_at),
            TicketSort::Created => a.ticket.created_at.cmp(&b.ticket.created_at),
            TicketSort::Priority => rank(a.ticket.priority).cmp(&rank(b.ticket.priority)),
            TicketSort::Number => Ordering::Equal,
        };
        let key = key.then(a.ticket.number.cmp(&b.ticket.number));
        nulls.then(if descending { key.reverse() } else { key })
    });
}

fn query(scope: AccountScope) -> TicketQuery {
    TicketQuery { limit: 1000, status: StatusFilter::All, ..TicketQuery::in_scope(scope) }
}

fn ids(items: &[Listed]) -> Vec<TicketId> {
    items.iter().map(|l| l.ticket.id).collect()
}

async fn listed(store: &DynStore, q: &TicketQuery) -> Vec<TicketId> {
    store.list_tickets(q).await.expect("list tickets").items.into_iter().map(|i| i.ticket.id).collect()
}

/// The ids the store should list for a filter, in the default order (due, ascending).
fn expect(all: &[Listed], pred: impl Fn(&Listed) -> bool) -> Vec<TicketId> {
    let mut matching: Vec<Listed> = all.iter().filter(|l| pred(l)).cloned().collect();
    expected_order(&mut matching, TicketSort::Due, false);
    ids(&matching)
}

#[tokio::test]
async fn every_scope_in_sql_lists_exactly_the_tickets_of_the_accounts_the_scope_contains() {
    for (backend, store) in each_store().await {
        let team = team(&store).await;
        let accounts = portfolio(&store, &team).await;
        let all = tickets(&store, &team, &accounts).await;
        for scope in scopes(&team, &accounts) {
            let mut expected: Vec<Listed> = all.iter().filter(|l| scope.contains(&l.account)).cloned().collect();
            expected_order(&mut expected, TicketSort::Due, false);
            let page = store.list_tickets(&query(scope)).await.expect("list");
            assert_eq!(page.total, expected.len() as u64, "{backend}: {scope:?}");
            let got: Vec<TicketId> = page.items.iter().map(|i| i.ticket.id).collect();
            assert_eq!(got, ids(&expected), "{backend}: {scope:?}");
            for (item, want) in page.items.iter().zip(&expected) {
                assert_eq!(item.ticket, want.ticket, "{backend}");
                assert_eq!(item.account_name, want.account.fields.name, "{backend}");
                assert_eq!(item.sla_due_at, want.due, "{backend}");
            }
        }
    }
}

#[tokio::test]
async fn tickets_filter_by_account_assignee_status_priority_and_text_within_the_scope() {
    for (backend, store) in each_store().await {
        let team = team(&store).await;
        let accounts = portfolio(&store, &team).await;
        let all = tickets(&store, &team, &accounts).await;
        let everyone = query(AccountScope::All);

        for a in accounts.iter().take(4) {
            let q = TicketQuery { account_id: Some(a.id), ..everyone.clone() };
            let expected = expect(&all, |l| l.ticket.account_id == a.id);
            assert!(!expected.is_empty(), "{backend}: the fixture gives {} tickets", a.fields.name);
            assert_eq!(listed(&store, &q).await, expected, "{backend}: account {}", a.fields.name);
        }
        let q = TicketQuery { account_id: Some(AccountId::new()), ..everyone.clone() };
        assert!(listed(&store, &q).await.is_empty(), "{backend}");
        let one = &all[all.len() / 2].ticket;
        let q = TicketQuery { number: Some(one.number), ..everyone.clone() };
        assert_eq!(listed(&store, &q).await, expect(&all, |l| l.ticket.id == one.id), "{backend}: by number");
        for person in [&team.sup1, &team.tam1, &team.tam2, &team.pam1] {
            let q = TicketQuery { assignee: Some(person.id), ..everyone.clone() };
            let expected = expect(&all, |l| l.ticket.assignee_id == Some(person.id));
            assert_eq!(listed(&store, &q).await, expected, "{backend}: assignee {}", person.email);
        }
        let q = TicketQuery { unassigned: true, ..everyone.clone() };
        let expected = expect(&all, |l| l.ticket.assignee_id.is_none());
        assert!(!expected.is_empty(), "{backend}");
        assert_eq!(listed(&store, &q).await, expected, "{backend}: unassigned");

        let q = TicketQuery { status: StatusFilter::Open, ..everyone.clone() };
        assert_eq!(TicketQuery::in_scope(AccountScope::All).status, StatusFilter::Open, "open is the default");
        assert_eq!(listed(&store, &q).await, expect(&all, |l| l.ticket.status.is_open()), "{backend}: open");
        assert_eq!(listed(&store, &everyone).await.len(), all.len(), "{backend}: all");
        for (status, name) in Status::ALL {
            let q = TicketQuery { status: StatusFilter::Only(status), ..everyone.clone() };
            let expected = expect(&all, |l| l.ticket.status == status);
            assert!(!expected.is_empty(), "{backend}: {name}");
            assert_eq!(listed(&store, &q).await, expected, "{backend}: only {name}");
        }
        for (priority, name) in Priority::ALL {
            let q = TicketQuery { priority: Some(priority), ..everyone.clone() };
            let expected = expect(&all, |l| l.ticket.priority == priority);
            assert_eq!(listed(&store, &q).await, expected, "{backend}: priority {name}");
        }

        let search = |text: &str| TicketQuery { text: Some(text.into()), ..everyone.clone() };
        let titled = |want: &[&str]| expect(&all, |l| want.contains(&l.ticket.title.as_str()));
        assert_eq!(listed(&store, &search("login")).await, titled(&["Login fails", "LOGIN slow"]), "{backend}");
        assert_eq!(listed(&store, &search("  LOGIN S ")).await, titled(&["LOGIN slow"]), "{backend}: trimmed");
        assert_eq!(listed(&store, &search("100%")).await, titled(&["100% CPU"]), "{backend}: % is a literal");
        assert_eq!(listed(&store, &search("under_")).await, titled(&["under_score"]), "{backend}: _ is a literal");
        assert_eq!(listed(&store, &search("k\\s")).await, titled(&["back\\slash"]), "{backend}: \\ is a literal");
        assert_eq!(listed(&store, &search("   ")).await.len(), all.len(), "{backend}: blank text does not filter");

        // Filters combine with each other and with the scope.
        let scope = AccountScope::Tam(team.tam1.id);
        let q = TicketQuery {
            status: StatusFilter::Open,
            assignee: Some(team.sup1.id),
            text: Some("l".into()),
            ..query(scope)
        };
        let expected = expect(&all, |l| {
            scope.contains(&l.account)
                && l.ticket.status.is_open()
                && l.ticket.assignee_id == Some(team.sup1.id)
                && l.ticket.title.to_lowercase().contains('l')
        });
        assert_eq!(listed(&store, &q).await, expected, "{backend}: combined");
    }
}

#[tokio::test]
async fn every_sort_key_orders_tickets_in_both_directions_with_ties_broken_by_number() {
    for (backend, store) in each_store().await {
        let team = team(&store).await;
        let accounts = portfolio(&store, &team).await;
        let all = tickets(&store, &team, &accounts).await;
        for (sort, name) in TicketSort::ALL {
            for descending in [false, true] {
                let mut expected = all.clone();
                expected_order(&mut expected, sort, descending);
                let q = TicketQuery { sort, descending, ..query(AccountScope::All) };
                assert_eq!(listed(&store, &q).await, ids(&expected), "{backend}: sort {name} descending={descending}");
            }
        }
        // Tickets without a running clock come last in both directions.
        let q = TicketQuery { sort: TicketSort::Due, descending: true, ..query(AccountScope::All) };
        let page = store.list_tickets(&q).await.expect("list");
        assert!(page.items.first().is_some_and(|i| i.sla_due_at.is_some()), "{backend}");
        assert!(page.items.last().is_some_and(|i| i.sla_due_at.is_none()), "{backend}");
    }
}

#[tokio::test]
async fn a_page_holds_at_most_limit_tickets_from_offset_and_total_counts_every_match() {
    for (backend, store) in each_store().await {
        let team = team(&store).await;
        let accounts = portfolio(&store, &team).await;
        let all = tickets(&store, &team, &accounts).await;
        let mut open: Vec<Listed> = all.iter().filter(|l| l.ticket.status.is_open()).cloned().collect();
        expected_order(&mut open, TicketSort::Priority, true);
        let mut walked = Vec::new();
        for offset in (0..open.len() as u64 + 7).step_by(7) {
            let q = TicketQuery {
                sort: TicketSort::Priority,
                descending: true,
                limit: 7,
                offset,
                ..TicketQuery::in_scope(AccountScope::All)
            };
            let page = store.list_tickets(&q).await.expect("list");
            assert_eq!(page.total, open.len() as u64, "{backend}");
            assert!(page.items.len() <= 7, "{backend}");
            walked.extend(page.items.into_iter().map(|i| i.ticket.id));
        }
        assert_eq!(walked, ids(&open), "{backend}: pages tile the listing without gaps or repeats");
        let beyond = TicketQuery { offset: 1_000, ..TicketQuery::in_scope(AccountScope::All) };
        let page = store.list_tickets(&beyond).await.expect("list");
        assert_eq!((page.items.len(), page.total), (0, open.len() as u64), "{backend}");
        let none = TicketQuery { limit: 0, ..TicketQuery::in_scope(AccountScope::All) };
        let page = store.list_tickets(&none).await.expect("list");
        assert_eq!((page.items.len(), page.total), (0, open.len() as u64), "{backend}");
        let scope = AccountScope::Support(team.sup1.id);
        let q = TicketQuery { limit: 1, ..query(scope) };
        let page = store.list_tickets(&q).await.expect("list");
        let in_scope = all.iter().filter(|l| scope.contains(&l.account)).count() as u64;
        assert!(in_scope > 1, "{backend}");
        assert_eq!((page.items.len() as u64, page.total), (1, in_scope), "{backend}: total respects the scope");
    }
}
