//! Which accounts a user may see: the role table of PRODUCT.md, as one rule that the stores turn
//! into SQL and `contains` applies in memory (the conformance suite checks they agree).

use crate::accounts::{Account, Phase};
use crate::ids::{AccountId, UserId};
use crate::users::{Role, User};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountScope {
    /// Leadership and admins: every account.
    All,
    /// Primary or backup TAM, and only in Gate 3 or Post-Launch.
    Tam(UserId),
    /// The assigned PSM, in Gates 0-3.
    Psm(UserId),
    /// The PAM who owns the account commercially.
    Pam(UserId),
    /// A support engineer engaged on the account.
    Support(UserId),
    /// A customer contact: their own account only.
    Customer(AccountId),
    /// A user who can see nothing (a customer user without an account).
    Nothing,
}

pub const TAM_PHASES: [Phase; 2] = [Phase::Gate3, Phase::PostLaunch];
pub const PSM_PHASES: [Phase; 4] = [Phase::Gate0, Phase::Gate1, Phase::Gate2, Phase::Gate3];

impl AccountScope {
    pub fn of(user: &User) -> AccountScope {
        match user.role {
            Role::Leadership | Role::Admin => AccountScope::All,
            Role::Tam => AccountScope::Tam(user.id),
            Role::Psm => AccountScope::Psm(user.id),
            Role::Pam => AccountScope::Pam(user.id),
            Role::Support => AccountScope::Support(user.id),
            Role::Customer => user.account_id.map(AccountScope::Customer).unwrap_or(AccountScope::Nothing),
        }
    }

    pub fn contains(&self, account: &Account) -> bool {
        let f = &account.fields;
        match *self {
            AccountScope::All => true,
            AccountScope::Tam(u) => {
                (f.primary_tam_id == Some(u) || f.backup_tam_id == Some(u)) && TAM_PHASES.contains(&f.phase)
            }
            AccountScope::Psm(u) => f.psm_id == Some(u) && PSM_PHASES.contains(&f.phase),
            AccountScope::Pam(u) => f.pam_id == Some(u),
            AccountScope::Support(u) => f.support_ids.contains(&u),
            AccountScope::Customer(id) => account.id == id,
            AccountScope::Nothing => false,
        }
    }
}
