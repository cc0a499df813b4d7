//! User administration.

use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::{NewUser, Role, User, check_password, check_role_account};
use tamhub_domain::validation::{FieldErrors, parse_choice, required_text};
use tamhub_store::{AccountQuery, UserQuery};

use crate::auth::hash_password;
use crate::policy::{can_manage_users, can_view_user_directory, require};
use crate::{Actor, App, AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub account_id: Option<AccountId>,
    pub password: String,
}

#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub account_id: Option<Option<AccountId>>,
    pub active: Option<bool>,
}

impl App {
    /// `actor` is `None` for the CLI and the demo loader, which act as the system.
    pub async fn create_user(&self, actor: Option<&Actor>, input: UserInput) -> AppResult<User> {
        if let Some(actor) = actor {
            require(can_manage_users(actor.user.role), "create users")?;
        }
        let new = NewUser::parse(&input.email, &input.name, &input.role, input.account_id, &input.password)?;
        if let Some(account_id) = new.account_id {
            self.check_account_exists(account_id).await?;
        }
        let password_hash = hash_password(input.password).await?;
        let now = self.clock.now();
        let user = User {
            id: UserId::new(),
            email: new.email,
            name: new.name,
            role: new.role,
            account_id: new.account_id,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let mut audit = AuditEntry::new(now, actor.map(|a| a.user.id), "user", user.id, "create").with_after(&user);
        if let Some(account_id) = user.account_id {
            audit = audit.for_account(account_id);
        }
        self.store.create_user(&user, &password_hash, &audit).await.map_err(|e| match AppError::from(e) {
            AppError::Conflict(message) => {
                AppError::invalid_field("email", message.replace("a user with this email ", ""))
            }
            other => other,
        })?;
        Ok(user)
    }

    async fn check_account_exists(&self, account_id: AccountId) -> AppResult<()> {
        match self.store.get_account(account_id).await {
            Ok(_) => Ok(()),
            Err(tamhub_store::StoreError::NotFound) => {
                Err(AppError::invalid_field("account_id", "is not an existing account"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_users(&self, actor: &Actor, role: Option<Role>, include_inactive: bool) -> AppResult<Vec<User>> {
        require(can_view_user_directory(actor.user.role), "list users")?;
        let include_inactive = include_inactive && can_manage_users(actor.user.role);
        let users = self.store.list_users(&UserQuery { role, include_inactive }).await?;
        if actor.scope == AccountScope::All {
            return Ok(users);
        }
        // Customer contacts are listed only for accounts the viewer can see: a contact names an
        // account, and accounts outside one's scope must not be confirmed to exist.
        let visible = self.visible_account_ids(actor).await?;
        Ok(users.into_iter().filter(|u| u.account_id.is_none_or(|a| visible.contains(&a))).collect())
    }

    async fn visible_account_ids(&self, actor: &Actor) -> AppResult<std::collections::HashSet<AccountId>> {
        let mut query = AccountQuery::in_scope(actor.scope);
        query.archived = tamhub_store::Archived::Include;
        query.limit = u32::MAX;
        Ok(self.store.list_accounts(&query).await?.items.into_iter().map(|a| a.id).collect())
    }

    /// Staff see colleagues; a customer contact sees only themselves.
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> AppResult<User> {
        if actor.user.id == id {
            return Ok(actor.user.clone());
        }
        if !can_view_user_directory(actor.user.role) {
            return Err(AppError::NotFound);
        }
        let user = self.store.get_user(id).await?;
        if let Some(account_id) = user.account_id
            && actor.scope != AccountScope::All
        {
            let account = self.store.get_account(account_id).await?;
            if !actor.scope.contains(&account) {
                return Err(AppError::NotFound);
            }
        }
        Ok(user)
    }

    pub async fn update_user(&self, actor: &Actor, id: UserId, patch: UserPatch) -> AppResult<User> {
        require(can_manage_users(actor.user.role), "change users")?;
        let before = self.store.get_user(id).await?;
        let mut after = before.clone();
        let mut errors = FieldErrors::new();
        if let Some(name) = &patch.name {
            after.name = required_text(&mut errors, "name", name, 120);
        }
        if let Some(role) = &patch.role
            && let Some(role) = parse_choice(&mut errors, "role", role, &Role::ALL)
        {
            after.role = role;
        }
        if let Some(account_id) = patch.account_id {
            after.account_id = account_id;
        }
        if after.role != Role::Customer && patch.account_id.is_none() {
            after.account_id = None;
        }
        check_role_account(&mut errors, Some(after.role), after.account_id);
        if let Some(active) = patch.active {
            after.active = active;
        }
        if actor.user.id == id && (!after.active || after.role != Role::Admin) {
            errors.add(if after.active { "role" } else { "active" }, "you cannot remove your own administrator access");
        }
        errors.into_result()?;
        if let Some(account_id) = after.account_id
            && before.account_id != Some(account_id)
        {
            self.check_account_exists(account_id).await?;
        }
        if after == before {
            return Ok(before);
        }
        let losing_assignments = (after.role != before.role || !after.active) && before.role != Role::Customer;
        if losing_assignments {
            let mut query = AccountQuery::in_scope(tamhub_domain::scope::AccountScope::All);
            query.assignee = Some(id);
            query.archived = tamhub_store::Archived::Include;
            query.limit = 1;
            let assigned = self.store.list_accounts(&query).await?.total;
            if assigned > 0 {
                return Err(AppError::Conflict(format!(
                    "{} is still assigned to {assigned} account(s); reassign them before changing the role or deactivating",
                    before.name
                )));
            }
        }
        after.updated_at = self.clock.now();
        let action = if before.active && !after.active {
            "deactivate"
        } else if !before.active && after.active {
            "reactivate"
        } else {
            "update"
        };
        let audit = AuditEntry::new(after.updated_at, Some(actor.user.id), "user", id, action)
            .with_before(&before)
            .with_after(&after);
        self.store.update_user(&after, &audit).await?;
        Ok(after)
    }

    /// Sets a password (the CLI's `user password`, or a user changing their own).
    pub async fn set_password(&self, actor: Option<&Actor>, id: UserId, password: String) -> AppResult<()> {
        if let Some(actor) = actor
            && actor.user.id != id
        {
            require(can_manage_users(actor.user.role), "set other users' passwords")?;
        }
        let mut errors = FieldErrors::new();
        check_password(&mut errors, &password);
        errors.into_result()?;
        let hash = hash_password(password).await?;
        let audit = AuditEntry::new(self.clock.now(), actor.map(|a| a.user.id), "user", id, "set_password");
        self.store.set_password(id, &hash, &audit).await?;
        Ok(())
    }

    pub async fn find_user_by_email(&self, email: &str) -> AppResult<User> {
        let email = tamhub_domain::users::normalise_email(email);
        let credentials = self.store.find_credentials(&email).await?;
        credentials.map(|c| c.user).ok_or(AppError::NotFound)
    }
}
