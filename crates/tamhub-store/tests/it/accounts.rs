use std::cmp::Ordering;

use tamhub_domain::accounts::{Account, Phase, Tier};
use tamhub_domain::audit::PhaseChange;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};
use tamhub_store::{AccountQuery, AccountSort, Archived, AuditQuery, StoreError};

use crate::{DynStore, account, add_account, add_user, at, audit_for, date, each_store, fields};

fn ids(accounts: &[Account]) -> Vec<AccountId> {
    accounts.iter().map(|a| a.id).collect()
}

async fn list(store: &DynStore, query: &AccountQuery) -> Vec<Account> {
    store.list_accounts(query).await.expect("list accounts").items
}

fn query(scope: AccountScope) -> AccountQuery {
    AccountQuery { limit: 1000, ..AccountQuery::in_scope(scope) }
}

#[tokio::test]
async fn a_created_account_reads_back_with_every_field() {
    for (backend, store) in each_store().await {
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let backup = add_user(&store, "backup@example.com", Role::Tam).await;
        let psm = add_user(&store, "psm@example.com", Role::Psm).await;
        let pam = add_user(&store, "pam@example.com", Role::Pam).await;
        let s1 = add_user(&store, "s1@example.com", Role::Support).await;
        let s2 = add_user(&store, "s2@example.com", Role::Support).await;
        let mut f = fields("Acme Corp");
        f.tier = Tier::EnterpriseOnRamp;
        f.arr = 123_456_789;
        f.currency = "USD".into();
        f.renewal_date = Some(date(2027, 2, 28));
        f.region = "amer".into();
        f.timezone = "America/New_York".into();
        f.phase = Phase::Gate3;
        f.workloads = vec!["SAP".into(), "Data lake".into(), "Ünïcode ✓".into()];
        f.downtime_cost_per_hour = Some(50_000);
        f.primary_tam_id = Some(tam.id);
        f.backup_tam_id = Some(backup.id);
        f.psm_id = Some(psm.id);
        f.pam_id = Some(pam.id);
        f.support_ids = vec![s1.id, s2.id];
        let mut acme = account(f);
        acme.archived_at = Some(at(500));
        acme.created_at = Timestamp::from_millisecond(1_750_000_000_123).expect("ts");
        acme.updated_at = at(400);
        let acme = add_account(&store, acme).await;

        assert_eq!(store.get_account(acme.id).await.expect("get"), acme, "{backend}");
        let bare = add_account(&store, account(fields("Bare"))).await;
        assert_eq!(store.get_account(bare.id).await.expect("get"), bare, "{backend}");
        assert!(matches!(store.get_account(AccountId::new()).await, Err(StoreError::NotFound)), "{backend}");
    }
}

#[tokio::test]
async fn updating_an_account_saves_it_records_the_phase_change_and_appends_the_audit_entries() {
    for (backend, store) in each_store().await {
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let original = add_account(&store, account(fields("Acme"))).await;
        let mut changed = original.clone();
        changed.fields.name = "Acme Group".into();
        changed.fields.phase = Phase::Gate1;
        changed.fields.workloads = vec!["ERP".into()];
        changed.fields.primary_tam_id = Some(tam.id);
        changed.fields.renewal_date = Some(date(2026, 12, 31));
        changed.updated_at = at(100);
        let change = PhaseChange {
            account_id: original.id,
            from: Phase::Gate0,
            to: Phase::Gate1,
            actor_id: Some(tam.id),
            at: at(100),
        };
        let entries = [
            audit_for("account", original.id, "update").for_account(original.id).with_before(&original.fields),
            audit_for("account", original.id, "phase").for_account(original.id),
        ];
        store.update_account(&changed, Some(&change), None, &entries).await.expect("update");
        assert_eq!(store.get_account(original.id).await.expect("get"), changed, "{backend}");

        // A second save without a phase change records none.
        let mut later = changed.clone();
        later.fields.arr = 5;
        later.updated_at = at(200);
        store.update_account(&later, None, None, &[]).await.expect("update");
        let back = PhaseChange { from: Phase::Gate1, to: Phase::Gate0, actor_id: None, at: at(300), ..change.clone() };
        later.fields.phase = Phase::Gate0;
        store.update_account(&later, Some(&back), None, &[]).await.expect("update");
        assert_eq!(store.phase_changes(original.id).await.expect("changes"), [change, back], "{backend}");
        assert!(store.phase_changes(AccountId::new()).await.expect("changes").is_empty(), "{backend}");

        let audit = store
            .list_audit(&AuditQuery { account_id: Some(original.id), limit: 10, ..AuditQuery::default() })
            .await
            .expect("audit");
        assert_eq!(audit.len(), 3, "{backend}: create, update, phase");
        assert!(audit.contains(&entries[0]) && audit.contains(&entries[1]), "{backend}");

        let ghost = account(fields("Ghost"));
        let err = store.update_account(&ghost, None, None, &[]).await;
        assert!(matches!(err, Err(StoreError::NotFound)), "{backend}: {err:?}");
    }
}

#[tokio::test]
async fn a_failed_update_leaves_no_phase_change_or_audit_entry_behind() {
    for (backend, store) in each_store().await {
        let ghost = account(fields("Ghost"));
        let change =
            PhaseChange { account_id: ghost.id, from: Phase::Gate0, to: Phase::Gate1, actor_id: None, at: at(1) };
        let entry = audit_for("account", ghost.id, "update").for_account(ghost.id);
        let err = store.update_account(&ghost, Some(&change), None, std::slice::from_ref(&entry)).await;
        assert!(matches!(err, Err(StoreError::NotFound)), "{backend}: {err:?}");
        let audit = store.list_audit(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.expect("audit");
        assert!(audit.is_empty(), "{backend}");
    }
}

/// The people a portfolio is assigned to.
pub(crate) struct Team {
    pub tam1: User,
    pub tam2: User,
    pub psm1: User,
    pub psm2: User,
    pub pam1: User,
    pub pam2: User,
    pub sup1: User,
    pub sup2: User,
}

pub(crate) async fn team(store: &DynStore) -> Team {
    Team {
        tam1: add_user(store, "tam1@example.com", Role::Tam).await,
        tam2: add_user(store, "tam2@example.com", Role::Tam).await,
        psm1: add_user(store, "psm1@example.com", Role::Psm).await,
        psm2: add_user(store, "psm2@example.com", Role::Psm).await,
        pam1: add_user(store, "pam1@example.com", Role::Pam).await,
        pam2: add_user(store, "pam2@example.com", Role::Pam).await,
        sup1: add_user(store, "sup1@example.com", Role::Support).await,
        sup2: add_user(store, "sup2@example.com", Role::Support).await,
    }
}

const NAMES: [&str; 15] = [
    "Acme",
    "beta Industries",
    "Cobalt",
    "acme Labs",
    "Delta_Air",
    "100% Uptime",
    "Echo",
    "Foxtrot",
    "100 Percent",
    "Gamma",
    "Zulu",
    "DeltaXAir",
    "Hotel",
    "Ibex",
    "Acme",
];

/// Fifteen accounts spread over every phase, tier, assignment pattern and sort key, with ties
/// and missing values so the id tie-break and NULL placement are exercised.
pub(crate) async fn portfolio(store: &DynStore, t: &Team) -> Vec<Account> {
    let mut accounts = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let mut f = fields(name);
        f.phase = Phase::ALL[i % 5].0;
        f.tier = Tier::ALL[i % 3].0;
        f.arr = (i as i64 % 4) * 1_000;
        f.renewal_date = if i % 3 == 0 { None } else { Some(date(2026, (i % 12) as i8 + 1, (i % 7) as i8 + 1)) };
        f.region = ["emea", "amer", "APAC"][i % 3].into();
        f.timezone = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"][i % 4].into();
        f.primary_tam_id = [Some(t.tam1.id), Some(t.tam2.id), None][i % 3];
        f.backup_tam_id = match i % 4 {
            0 => Some(t.tam2.id).filter(|b| f.primary_tam_id != Some(*b)),
            1 => Some(t.tam1.id).filter(|b| f.primary_tam_id != Some(*b)),
            _ => None,
        };
        f.psm_id = if i % 5 == 4 { None } else { [Some(t.psm1.id), Some(t.psm2.id)][i % 2] };
        f.pam_id = [Some(t.pam2.id), None, Some(t.pam1.id)][i % 3];
        f.support_ids = match i % 4 {
            0 => vec![],
            1 => vec![t.sup1.id],
            2 => {
                let mut both = vec![t.sup1.id, t.sup2.id];
                both.sort();
                both
            }
            _ => vec![t.sup2.id],
        };
        let mut a = account(f);
        a.archived_at = (i == 7 || i == 12).then(|| at(1_000 + i as i64));
        a.updated_at = at((i as i64 * 7) % 5);
        accounts.push(add_account(store, a).await);
    }
    accounts
}

/// The ORDER BY of the stores, in memory: the sort key (text byte by byte), missing renewal
/// dates last in both directions, then id ascending.
fn expected_order(accounts: &mut [Account], sort: AccountSort, descending: bool) {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Text(String),
        Int(i64),
        Date(Option<Date>),
        Time(Timestamp),
    }
    let key = |a: &Account| -> Key {
        let f = &a.fields;
        match sort {
            AccountSort::Name => Key::Text(f.name.clone()),
            AccountSort::Tier => Key::Text(f.tier.as_str().into()),
            AccountSort::Phase => Key::Text(f.phase.as_str().into()),
            AccountSort::Arr => Key::Int(f.arr),
            AccountSort::Renewal => Key::Date(f.renewal_date),
            AccountSort::Region => Key::Text(f.region.clone()),
            AccountSort::Timezone => Key::Text(f.timezone.clone()),
            AccountSort::Updated => Key::Time(a.updated_at),
        }
    };
    accounts.sort_by(|a, b| {
        let nulls = if sort == AccountSort::Renewal {
            a.fields.renewal_date.is_none().cmp(&b.fields.renewal_date.is_none())
        } else {
            Ordering::Equal
        };
        let by_key = key(a).cmp(&key(b));
        let by_key = if descending { by_key.reverse() } else { by_key };
        nulls.then(by_key).then(a.id.cmp(&b.id))
    });
}

pub(crate) fn scopes(t: &Team, accounts: &[Account]) -> Vec<AccountScope> {
    let nobody = UserId::new();
    vec![
        AccountScope::All,
        AccountScope::Nothing,
        AccountScope::Tam(t.tam1.id),
        AccountScope::Tam(t.tam2.id),
        AccountScope::Tam(t.psm1.id),
        AccountScope::Psm(t.psm1.id),
        AccountScope::Psm(t.psm2.id),
        AccountScope::Psm(t.tam1.id),
        AccountScope::Pam(t.pam1.id),
        AccountScope::Pam(t.pam2.id),
        AccountScope::Pam(nobody),
        AccountScope::Support(t.sup1.id),
        AccountScope::Support(t.sup2.id),
        AccountScope::Support(nobody),
        AccountScope::Customer(accounts[0].id),
        AccountScope::Customer(accounts[7].id),
        AccountScope::Customer(AccountId::new()),
    ]
}

#[tokio::test]
async fn every_scope_in_sql_selects_exactly_the_accounts_the_scope_contains_in_memory() {
    for (backend, store) in each_store().await {
        let t = team(&store).await;
        let accounts = portfolio(&store, &t).await;
        for scope in scopes(&t, &accounts) {
            for archived in [Archived::Exclude, Archived::Only, Archived::Include] {
                let mut expected: Vec<Account> = accounts
                    .iter()
                    .filter(|a| scope.contains(a))
                    .filter(|a| match archived {
                        Archived::Exclude => a.archived_at.is_none(),
                        Archived::Only => a.archived_at.is_some(),
                        Archived::Include => true,
                    })
                    .cloned()
                    .collect();
                expected_order(&mut expected, AccountSort::Name, false);
                let page = store.list_accounts(&AccountQuery { archived, ..query(scope) }).await.expect("list");
                assert_eq!(page.total, expected.len() as u64, "{backend}: {scope:?} {archived:?}");
                assert_eq!(ids(&page.items), ids(&expected), "{backend}: {scope:?} {archived:?}");
                assert_eq!(page.items, expected, "{backend}: {scope:?} {archived:?}");
            }
        }
    }
}

#[tokio::test]
async fn each_role_sees_the_accounts_the_role_table_gives_it() {
    for (backend, store) in each_store().await {
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let other_tam = add_user(&store, "other-tam@example.com", Role::Tam).await;
        let psm = add_user(&store, "psm@example.com", Role::Psm).await;
        let pam = add_user(&store, "pam@example.com", Role::Pam).await;
        let support = add_user(&store, "support@example.com", Role::Support).await;
        let mut by_phase = Vec::new();
        for (phase, _) in Phase::ALL {
            let mut primary = fields(&format!("primary {}", phase.as_str()));
            primary.phase = phase;
            primary.primary_tam_id = Some(tam.id);
            primary.psm_id = Some(psm.id);
            let mut backup = fields(&format!("backup {}", phase.as_str()));
            backup.phase = phase;
            backup.primary_tam_id = Some(other_tam.id);
            backup.backup_tam_id = Some(tam.id);
            backup.pam_id = Some(pam.id);
            backup.support_ids = vec![support.id];
            by_phase.push((
                phase,
                add_account(&store, account(primary)).await,
                add_account(&store, account(backup)).await,
            ));
        }
        let unassigned = add_account(&store, account(fields("unassigned"))).await;
        let names = |accounts: Vec<Account>| {
            let mut names: Vec<String> = accounts.into_iter().map(|a| a.fields.name).collect();
            names.sort();
            names
        };

        let tam_sees = names(list(&store, &query(AccountScope::Tam(tam.id))).await);
        assert_eq!(
            tam_sees,
            ["backup gate_3", "backup post_launch", "primary gate_3", "primary post_launch"],
            "{backend}: a TAM sees its primary and backup accounts in Gate 3 and Post-Launch only"
        );
        let psm_sees = names(list(&store, &query(AccountScope::Psm(psm.id))).await);
        assert_eq!(
            psm_sees,
            ["primary gate_0", "primary gate_1", "primary gate_2", "primary gate_3"],
            "{backend}: a PSM sees only its own accounts in Gates 0-3"
        );
        let pam_sees = names(list(&store, &query(AccountScope::Pam(pam.id))).await);
        assert_eq!(pam_sees.len(), 5, "{backend}: a PAM sees its own accounts in every phase");
        assert!(pam_sees.iter().all(|n| n.starts_with("backup")), "{backend}");
        let support_sees = names(list(&store, &query(AccountScope::Support(support.id))).await);
        assert_eq!(support_sees, pam_sees, "{backend}: support sees the accounts listing it");
        let customer_sees = list(&store, &query(AccountScope::Customer(by_phase[1].1.id))).await;
        assert_eq!(ids(&customer_sees), [by_phase[1].1.id], "{backend}: a customer sees its own account");
        assert_eq!(list(&store, &query(AccountScope::All)).await.len(), 11, "{backend}");
        assert!(list(&store, &query(AccountScope::Nothing)).await.is_empty(), "{backend}");
        assert!(list(&store, &query(AccountScope::Tam(psm.id))).await.is_empty(), "{backend}");
        assert!(names(list(&store, &query(AccountScope::All)).await).contains(&unassigned.fields.name), "{backend}");
    }
}

#[tokio::test]
async fn accounts_filter_by_phase_tier_and_assignee_within_the_scope() {
    for (backend, store) in each_store().await {
        let t = team(&store).await;
        let accounts = portfolio(&store, &t).await;
        let live = |pred: &dyn Fn(&Account) -> bool| {
            let mut expected: Vec<Account> =
                accounts.iter().filter(|a| a.archived_at.is_none() && pred(a)).cloned().collect();
            expected_order(&mut expected, AccountSort::Name, false);
            ids(&expected)
        };

        for (phase, _) in Phase::ALL {
            let got = list(&store, &AccountQuery { phase: Some(phase), ..query(AccountScope::All) }).await;
            assert_eq!(ids(&got), live(&|a| a.fields.phase == phase), "{backend}: phase {phase:?}");
        }
        for (tier, _) in Tier::ALL {
            let got = list(&store, &AccountQuery { tier: Some(tier), ..query(AccountScope::All) }).await;
            assert_eq!(ids(&got), live(&|a| a.fields.tier == tier), "{backend}: tier {tier:?}");
        }
        for person in [&t.tam1, &t.tam2, &t.psm1, &t.pam1, &t.sup1, &t.sup2] {
            let got = list(&store, &AccountQuery { assignee: Some(person.id), ..query(AccountScope::All) }).await;
            let expected = live(&|a| a.fields.assignments().iter().any(|(_, u)| *u == person.id));
            assert!(!expected.is_empty(), "{backend}: the portfolio assigns {}", person.email);
            assert_eq!(ids(&got), expected, "{backend}: assignee {}", person.email);
        }
        // Filters combine with each other and with the scope.
        let combined = AccountQuery {
            phase: Some(Phase::Gate3),
            assignee: Some(t.sup1.id),
            ..query(AccountScope::Tam(t.tam1.id))
        };
        let expected = live(&|a| {
            AccountScope::Tam(t.tam1.id).contains(a)
                && a.fields.phase == Phase::Gate3
                && a.fields.support_ids.contains(&t.sup1.id)
        });
        assert_eq!(ids(&list(&store, &combined).await), expected, "{backend}");
    }
}

#[tokio::test]
async fn text_search_matches_name_or_region_case_insensitively_and_treats_wildcards_literally() {
    for (backend, store) in each_store().await {
        let t = team(&store).await;
        let accounts = portfolio(&store, &t).await;
        let search = |text: &'static str| {
            let store = store.clone();
            async move {
                let q =
                    AccountQuery { text: Some(text.into()), archived: Archived::Include, ..query(AccountScope::All) };
                let mut names: Vec<String> = list(&store, &q).await.into_iter().map(|a| a.fields.name).collect();
                names.sort();
                names
            }
        };
        assert_eq!(search("ACME").await, ["Acme", "Acme", "acme Labs"], "{backend}");
        assert_eq!(search("  acme labs ").await, ["acme Labs"], "{backend}: surrounding spaces are trimmed");
        assert_eq!(search("100%").await, ["100% Uptime"], "{backend}: % is a literal");
        assert_eq!(search("delta_").await, ["Delta_Air"], "{backend}: _ is a literal");
        assert!(search("\\").await.is_empty(), "{backend}: a backslash is a literal");
        // Regions match too: "APAC" is every third account from the third.
        let apac: Vec<&str> =
            accounts.iter().filter(|a| a.fields.region == "APAC").map(|a| a.fields.name.as_str()).collect();
        let mut apac: Vec<String> = apac.into_iter().map(String::from).collect();
        apac.sort();
        assert_eq!(search("apa").await, apac, "{backend}");
        assert_eq!(search("   ").await.len(), accounts.len(), "{backend}: blank text does not filter");
    }
}

#[tokio::test]
async fn archived_accounts_are_excluded_by_default_and_can_be_listed_alone_or_included() {
    for (backend, store) in each_store().await {
        let live = add_account(&store, account(fields("Live"))).await;
        let mut gone = account(fields("Gone"));
        gone.archived_at = Some(at(10));
        let gone = add_account(&store, gone).await;
        let get = |archived| {
            let store = store.clone();
            async move { ids(&list(&store, &AccountQuery { archived, ..query(AccountScope::All) }).await) }
        };
        assert_eq!(AccountQuery::in_scope(AccountScope::All).archived, Archived::Exclude);
        assert_eq!(get(Archived::Exclude).await, [live.id], "{backend}");
        assert_eq!(get(Archived::Only).await, [gone.id], "{backend}");
        assert_eq!(get(Archived::Include).await, [gone.id, live.id], "{backend}: Gone sorts before Live");
    }
}

#[tokio::test]
async fn every_sort_key_orders_accounts_in_both_directions_with_ties_broken_by_id() {
    for (backend, store) in each_store().await {
        let t = team(&store).await;
        let accounts = portfolio(&store, &t).await;
        for (sort, name) in AccountSort::ALL {
            for descending in [false, true] {
                let mut expected = accounts.clone();
                expected_order(&mut expected, sort, descending);
                let q = AccountQuery { sort, descending, archived: Archived::Include, ..query(AccountScope::All) };
                let got = list(&store, &q).await;
                assert_eq!(ids(&got), ids(&expected), "{backend}: sort {name} descending={descending}");
            }
        }
        // The fixture really has ties and gaps for the tie-break and NULL placement to matter.
        let mut renewals = store
            .list_accounts(&AccountQuery {
                sort: AccountSort::Renewal,
                descending: true,
                archived: Archived::Include,
                ..query(AccountScope::All)
            })
            .await
            .expect("list")
            .items
            .into_iter()
            .map(|a| a.fields.renewal_date);
        assert!(renewals.next().flatten().is_some(), "{backend}: descending still puts dates first");
        assert_eq!(accounts.iter().filter(|a| a.fields.arr == 0).count(), 4);
    }
}

#[tokio::test]
async fn a_page_holds_at_most_limit_accounts_from_offset_and_total_counts_every_match() {
    for (backend, store) in each_store().await {
        let t = team(&store).await;
        let accounts = portfolio(&store, &t).await;
        let mut expected: Vec<Account> = accounts.iter().filter(|a| a.archived_at.is_none()).cloned().collect();
        expected_order(&mut expected, AccountSort::Arr, true);
        let page = |limit: u32, offset: u64| {
            let store = store.clone();
            async move {
                let q = AccountQuery {
                    sort: AccountSort::Arr,
                    descending: true,
                    limit,
                    offset,
                    ..query(AccountScope::All)
                };
                store.list_accounts(&q).await.expect("list")
            }
        };
        let mut walked = Vec::new();
        for offset in (0..15).step_by(4) {
            let p = page(4, offset).await;
            assert_eq!(p.total, 13, "{backend}");
            assert!(p.items.len() <= 4, "{backend}");
            walked.extend(p.items);
        }
        assert_eq!(ids(&walked), ids(&expected), "{backend}: pages tile the full listing");
        let beyond = page(10, 100).await;
        assert_eq!((beyond.items.len(), beyond.total), (0, 13), "{backend}");
        let none = page(0, 0).await;
        assert_eq!((none.items.len(), none.total), (0, 13), "{backend}");
        let scoped = store
            .list_accounts(&AccountQuery { limit: 1, ..query(AccountScope::Support(t.sup1.id)) })
            .await
            .expect("list");
        let in_scope =
            accounts.iter().filter(|a| a.archived_at.is_none() && AccountScope::Support(t.sup1.id).contains(a)).count();
        assert_eq!((scoped.items.len(), scoped.total), (1, in_scope as u64), "{backend}: total respects the scope");
    }
}
