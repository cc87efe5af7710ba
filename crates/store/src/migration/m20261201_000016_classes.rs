//! Classes and what hangs from them (班次, 期): venues and instructors an organisation keeps,
//! classes with their places per sending organisation, the timetable, enrolments, leave,
//! attendance and the credit-hour records of the training file.
//!
//! Path copies (registered in `paths` by the rooms that write them): a venue, an instructor
//! and a class carry their organisation's path, a class also its delivering institution's
//! when that is an organisation of the tree; an allocation and an enrolment carry the
//! sending organisation's, so a county reads its own people of a city class by one range.
//! Sessions, leave and attendance are reached through their class or enrolment; credit
//! records through the person (a training file follows the person, not an organisation).
//! Hours are stored in hundredths (`xuepei_domain::training::Hours`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from, col).to(to, "id").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        let path = |name: &'static str| binary_text(string_len(name, 512), b);
        let path_null = |name: &'static str| binary_text(string_len_null(name, 512), b);

        manager
            .create_table(
                Table::create()
                    .table("venues")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(path("org_path"))
                    .col(string_len("name", 100))
                    // classroom, site (现场教学点), base (示范培训实践基地), other
                    .col(string_len("kind", 16))
                    .col(string_len_null("address", 200))
                    .col(integer_null("capacity"))
                    .col(text_null("note"))
                    .col(boolean("active").default(true))
                    .col(instant("created_at", b, false))
                    .foreign_key(&mut fk("venues", "org_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        index(manager, "venues", "ux_venues_org_name", &["org_id", "name"], true).await?;
        index(manager, "venues", "ix_venues_org_path", &["org_path", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("instructors")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(path("org_path"))
                    .col(string_len("name", 50))
                    // leader (领导干部), expert (专家学者), secretary (优秀书记), teacher (党校教师)
                    .col(string_len("kind", 16))
                    .col(string_len_null("title", 60))
                    .col(string_len_null("unit", 100))
                    .col(string_len_null("phone", 20))
                    .col(big_integer_null("person_id"))
                    .col(text_null("topics"))
                    .col(boolean("active").default(true))
                    .col(instant("created_at", b, false))
                    .foreign_key(&mut fk("instructors", "org_id", "organizations"))
                    .foreign_key(&mut fk("instructors", "person_id", "persons"))
                    .to_owned(),
            )
            .await?;
        index(manager, "instructors", "ix_instructors_org_path", &["org_path", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("classes")
                    .col(big_pk_auto("id"))
                    .col(big_integer_null("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(path("org_path"))
                    .col(string_len("title", 200))
                    .col(string_len_null("institution", 100))
                    // party_school, admin_academy, cadre_academy, practice_base, other
                    .col(string_len("institution_kind", 16))
                    // The institution when it is an organisation of the tree: its accounts
                    // keep the timetable, attendance and completion.
                    .col(big_integer_null("institution_org_id"))
                    .col(path_null("institution_path"))
                    .col(string_len("level", 16))
                    .col(date("start_on"))
                    .col(date("end_on"))
                    .col(integer("capacity"))
                    // Sectors, roles and rank levels of the target group (JSON `TargetFilter`).
                    .col(text("target_group"))
                    .col(string_len_null("head_teacher", 50))
                    // The completion rule: leave at most this fraction of the class's hours.
                    .col(string_len("max_leave", 16))
                    .col(integer("checkin_before_min").default(30))
                    .col(integer("checkin_after_min").default(30))
                    // open, completed
                    .col(string_len("status", 16))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .col(instant("completed_at", b, true))
                    .foreign_key(&mut fk("classes", "campaign_id", "campaigns"))
                    .foreign_key(&mut fk("classes", "org_id", "organizations"))
                    .foreign_key(&mut fk("classes", "institution_org_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        index(manager, "classes", "ix_classes_org_path", &["org_path", "id"], false).await?;
        index(manager, "classes", "ix_classes_institution_path", &["institution_path", "id"], false).await?;
        index(manager, "classes", "ix_classes_campaign", &["campaign_id", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("class_allocations")
                    .col(big_pk_auto("id"))
                    .col(big_integer("class_id"))
                    .col(big_integer("org_id"))
                    .col(path("org_path"))
                    .col(integer("places"))
                    .foreign_key(&mut fk("class_allocations", "class_id", "classes"))
                    .foreign_key(&mut fk("class_allocations", "org_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        index(manager, "class_allocations", "ux_class_allocations", &["class_id", "org_id"], true).await?;
        index(manager, "class_allocations", "ix_class_allocations_org_path", &["org_path", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("class_sessions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("class_id"))
                    .col(date("on_date"))
                    // am, pm, evening
                    .col(string_len("slot", 16))
                    // Minutes after midnight, China time; default times per slot when absent.
                    .col(integer_null("starts_min"))
                    .col(integer_null("ends_min"))
                    .col(string_len("topic", 200))
                    .col(string_len("mode", 16))
                    .col(big_integer_null("instructor_id"))
                    .col(big_integer_null("venue_id"))
                    .col(big_integer("hours"))
                    .col(text_null("materials"))
                    // The key the rotating check-in codes are derived from.
                    .col(string_len("checkin_secret", 64))
                    .col(instant("created_at", b, false))
                    .foreign_key(&mut fk("class_sessions", "class_id", "classes"))
                    .foreign_key(&mut fk("class_sessions", "instructor_id", "instructors"))
                    .foreign_key(&mut fk("class_sessions", "venue_id", "venues"))
                    .to_owned(),
            )
            .await?;
        index(manager, "class_sessions", "ix_class_sessions_class", &["class_id", "on_date", "slot"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("enrolments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("class_id"))
                    .col(big_integer("person_id"))
                    // The sending organisation: the person's at enrolment (history stays).
                    .col(big_integer("org_id"))
                    .col(path("org_path"))
                    // enrolled, waitlisted, withdrawn, completed
                    .col(string_len("status", 16))
                    // Order on the waiting list (smaller first); null when not waitlisted.
                    .col(big_integer_null("waitlist_seq"))
                    // Approved leave in hundredths of an hour.
                    .col(big_integer("leave_hours").default(0))
                    .col(text_null("reason"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(&mut fk("enrolments", "class_id", "classes"))
                    .foreign_key(&mut fk("enrolments", "person_id", "persons"))
                    .foreign_key(&mut fk("enrolments", "org_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        index(manager, "enrolments", "ux_enrolments_class_person", &["class_id", "person_id"], true).await?;
        index(manager, "enrolments", "ix_enrolments_org_path", &["org_path", "id"], false).await?;
        index(manager, "enrolments", "ix_enrolments_person", &["person_id", "class_id"], false).await?;
        index(manager, "enrolments", "ix_enrolments_class_status", &["class_id", "status", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("leave_requests")
                    .col(big_pk_auto("id"))
                    .col(big_integer("enrolment_id"))
                    .col(big_integer("hours"))
                    .col(text("reason"))
                    // Session ids the leave covers (JSON array; empty when given in hours).
                    .col(text("sessions"))
                    .col(instant("created_at", b, false))
                    .foreign_key(&mut fk("leave_requests", "enrolment_id", "enrolments"))
                    .to_owned(),
            )
            .await?;
        index(manager, "leave_requests", "ix_leave_requests_enrolment", &["enrolment_id", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("attendance")
                    .col(big_pk_auto("id"))
                    .col(big_integer("session_id"))
                    .col(big_integer("enrolment_id"))
                    // present, late, absent, leave
                    .col(string_len("mark", 16))
                    .col(instant("checked_at", b, true))
                    // qr, code, roll, auto, leave
                    .col(string_len("source", 16))
                    .col(text_null("reason"))
                    .col(instant("updated_at", b, false))
                    .foreign_key(&mut fk("attendance", "session_id", "class_sessions"))
                    .foreign_key(&mut fk("attendance", "enrolment_id", "enrolments"))
                    .to_owned(),
            )
            .await?;
        index(manager, "attendance", "ux_attendance_session_enrolment", &["session_id", "enrolment_id"], true).await?;
        index(manager, "attendance", "ix_attendance_enrolment", &["enrolment_id", "session_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("credit_records")
                    .col(big_pk_auto("id"))
                    .col(big_integer("person_id"))
                    .col(date("on_date"))
                    .col(big_integer("hours"))
                    // class, import, claim
                    .col(string_len("source", 16))
                    .col(big_integer_null("class_id"))
                    .col(string_len("title", 200))
                    // The platform or institution a record came from.
                    .col(string_len_null("provider", 100))
                    // The record's key at its provider, so a re-import is idempotent.
                    .col(string_len_null("external_ref", 100))
                    // approved, pending, rejected (claims wait for the managing department)
                    .col(string_len("status", 16))
                    .col(big_integer_null("evidence_upload_id"))
                    .col(big_integer_null("reviewed_by"))
                    .col(instant("reviewed_at", b, true))
                    .col(text_null("note"))
                    .col(instant("created_at", b, false))
                    .foreign_key(&mut fk("credit_records", "person_id", "persons"))
                    .foreign_key(&mut fk("credit_records", "class_id", "classes"))
                    .to_owned(),
            )
            .await?;
        index(manager, "credit_records", "ix_credit_records_person", &["person_id", "on_date"], false).await?;
        index(manager, "credit_records", "ux_credit_records_class", &["person_id", "class_id"], true).await?;
        index(manager, "credit_records", "ux_credit_records_external", &["person_id", "provider", "external_ref"], true)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "credit_records",
            "attendance",
            "leave_requests",
            "enrolments",
            "class_sessions",
            "class_allocations",
            "classes",
            "instructors",
            "venues",
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
