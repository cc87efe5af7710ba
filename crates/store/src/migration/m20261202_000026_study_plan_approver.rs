//! The approving body a plan was submitted to, and the body that decided it, kept on the
//! plan (issue 13, attacker review): a group's approving body can change later, a plan
//! already submitted stays with the body it went to. No path copy: the bodies' paths are
//! read from `organizations` when needed. Plans submitted, returned or approved before
//! this migration take their group's approving body of now (the only one known); those
//! decided are recorded as decided by that body.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("study_plans").add_column(big_integer_null("approver_org_id")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("study_plans").add_column(big_integer_null("decided_org_id")).to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE study_plans SET approver_org_id = (SELECT g.approver_org_id FROM study_groups g \
             WHERE g.id = study_plans.group_id) WHERE state IN ('submitted', 'returned', 'approved')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE study_plans SET decided_org_id = approver_org_id WHERE state IN ('returned', 'approved')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("study_plans").drop_column("decided_org_id").to_owned()).await?;
        manager.alter_table(Table::alter().table("study_plans").drop_column("approver_org_id").to_owned()).await
    }
}
