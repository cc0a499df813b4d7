//! The in-app notification list of the signed-in user.

use tamhub_domain::ids::NotificationId;
use tamhub_domain::notifications::Notification;

use crate::{Actor, App, AppResult};

impl App {
    /// The actor's notifications, newest first (`limit + 1` asked for by pagers is fine).
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: u32,
        offset: u64,
    ) -> AppResult<Vec<Notification>> {
        Ok(self.store.list_notifications(actor.user.id, unread_only, limit, offset).await?)
    }

    pub async fn unread_notifications(&self, actor: &Actor) -> AppResult<u64> {
        Ok(self.store.unread_notifications(actor.user.id).await?)
    }

    /// Marks one of the actor's notifications read; someone else's is not found.
    pub async fn mark_notification_read(&self, actor: &Actor, id: NotificationId) -> AppResult<()> {
        self.store.mark_notifications_read(actor.user.id, Some(id), self.clock.now()).await?;
        Ok(())
    }

    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> AppResult<u64> {
        Ok(self.store.mark_notifications_read(actor.user.id, None, self.clock.now()).await?)
    }
}
