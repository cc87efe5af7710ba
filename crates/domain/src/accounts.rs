//! Accounts: roles, what each role may do, and the password rules.
//!
//! 三员分立: the system administrator, the security administrator and the audit
//! administrator are three roles that no account may combine — with each other or with a
//! business role — so that no one person can act and also hide or approve the act.

use crate::labeled_enum;
use crate::labels::Labeled;

labeled_enum! {
    /// An account's role.
    pub enum AccountRole {
        SystemAdmin => ("system_admin", "系统管理员", ["系统管理"]),
        SecurityAdmin => ("security_admin", "安全管理员", ["安全保密管理员"]),
        AuditAdmin => ("audit_admin", "安全审计员", ["审计管理员", "审计员"]),
        OrgStaff => ("org_staff", "组织部门工作人员", ["组织部"]),
        PropagandaStaff => ("propaganda_staff", "宣传部门工作人员", ["宣传部"]),
        UnitSecretary => ("unit_secretary", "单位党组织书记", ["书记"]),
        TrainingInstitution => ("training_institution", "培训机构", ["党校", "培训机构工作人员"]),
        Inspector => ("inspector", "巡听旁听组成员", ["巡听员"]),
        Cadre => ("cadre", "干部", ["党员"]),
    }
}

impl AccountRole {
    /// The role's bit in the stored mask: fixed numbers, never the declaration order, so
    /// that adding or reordering roles never changes what stored accounts mean. A new
    /// role takes the next unused number; a retired role's number is never reused.
    pub fn bit(self) -> i32 {
        let n = match self {
            AccountRole::SystemAdmin => 0,
            AccountRole::SecurityAdmin => 1,
            AccountRole::AuditAdmin => 2,
            AccountRole::OrgStaff => 3,
            AccountRole::PropagandaStaff => 4,
            AccountRole::UnitSecretary => 5,
            AccountRole::TrainingInstitution => 6,
            AccountRole::Inspector => 7,
            AccountRole::Cadre => 8,
        };
        1 << n
    }

    /// One of the three administrator roles.
    pub fn is_admin(self) -> bool {
        matches!(self, AccountRole::SystemAdmin | AccountRole::SecurityAdmin | AccountRole::AuditAdmin)
    }

    /// What the role may do, per module.
    pub fn grants(self) -> &'static [(Module, &'static [Action])] {
        use Action::*;
        use Module::*;
        const READ: &[Action] = &[View];
        const WRITE: &[Action] = &[View, Edit];
        const ALL: &[Action] = &[View, Edit, Approve];
        match self {
            AccountRole::SystemAdmin => {
                &[(Orgs, WRITE), (People, WRITE), (Registry, READ), (Accounts, WRITE), (Tokens, WRITE)]
            }
            AccountRole::SecurityAdmin => &[(Accounts, READ), (Security, WRITE)],
            AccountRole::AuditAdmin => &[(Audit, READ)],
            AccountRole::OrgStaff => &[(Orgs, ALL), (People, ALL), (Registry, READ), (Training, WRITE), (Study, READ)],
            // A secretary is also trained: their own record, classes and check-in; and
            // records the committee's meetings and study.
            AccountRole::UnitSecretary => {
                &[(Orgs, WRITE), (People, WRITE), (Training, READ), (Study, WRITE), (Own, READ)]
            }
            AccountRole::TrainingInstitution => &[(Orgs, READ), (People, READ), (Training, READ)],
            // The propaganda department leads theory study (001, 004); it sees study
            // records in its scope, not training administration.
            AccountRole::PropagandaStaff => &[(Orgs, READ), (People, READ), (Study, ALL)],
            AccountRole::Inspector => &[(Orgs, READ), (People, READ), (Study, READ)],
            AccountRole::Cadre => &[(Own, READ)],
        }
    }

    pub fn can(self, p: Perm) -> bool {
        self.grants().iter().any(|(m, actions)| *m == p.module && actions.contains(&p.action))
    }
}

labeled_enum! {
    /// A part of the system that permissions are granted on. A feature module adds its
    /// own entry and the roles' grants above.
    pub enum Module {
        Orgs => ("orgs", "组织机构", []),
        People => ("people", "人员信息", []),
        Registry => ("registry", "全库身份证号登记情况", []),
        Accounts => ("accounts", "账号", []),
        Security => ("security", "账号安全", []),
        Audit => ("audit", "审计日志", []),
        Tokens => ("tokens", "接口令牌", []),
        Own => ("own", "本人信息", []),
        Training => ("training", "教育培训", []),
        Study => ("study", "理论学习", []),
    }
}

labeled_enum! {
    /// What may be done in a module: view; edit (create, change, import and export);
    /// approve (accept what others file: 备案, 审核).
    pub enum Action {
        View => ("view", "查看", []),
        Edit => ("edit", "编辑", []),
        Approve => ("approve", "审核", []),
    }
}

/// A permission: an action in a module. Pages and API routes each require one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm {
    pub module: Module,
    pub action: Action,
}

impl Perm {
    pub const fn new(module: Module, action: Action) -> Self {
        Perm { module, action }
    }

    pub const ORGS_VIEW: Perm = Perm::new(Module::Orgs, Action::View);
    pub const ORGS_EDIT: Perm = Perm::new(Module::Orgs, Action::Edit);
    pub const PEOPLE_VIEW: Perm = Perm::new(Module::People, Action::View);
    pub const PEOPLE_EDIT: Perm = Perm::new(Module::People, Action::Edit);
    /// Be told, when registering, that an identity number is already registered outside
    /// one's scope: the roles that register people at county level and above. Others get
    /// a neutral refusal.
    pub const REGISTRY_VIEW: Perm = Perm::new(Module::Registry, Action::View);
    pub const ACCOUNTS_VIEW: Perm = Perm::new(Module::Accounts, Action::View);
    /// Create and edit accounts (not the three administrator roles).
    pub const ACCOUNTS_EDIT: Perm = Perm::new(Module::Accounts, Action::Edit);
    /// Lock, unlock, reset passwords, end sessions.
    pub const SECURITY_EDIT: Perm = Perm::new(Module::Security, Action::Edit);
    pub const AUDIT_VIEW: Perm = Perm::new(Module::Audit, Action::View);
    pub const TOKENS_EDIT: Perm = Perm::new(Module::Tokens, Action::Edit);
    pub const OWN_VIEW: Perm = Perm::new(Module::Own, Action::View);
    /// Read the campaigns (轮训工作) visible to one's scope.
    pub const TRAINING_VIEW: Perm = Perm::new(Module::Training, Action::View);
    /// Issue, change and copy campaigns of one's scope.
    pub const TRAINING_EDIT: Perm = Perm::new(Module::Training, Action::Edit);
    /// Read the theory-study records (meetings, study groups, study logs, materials) of
    /// one's scope.
    pub const STUDY_VIEW: Perm = Perm::new(Module::Study, Action::View);
    /// Record meetings, study-group sessions and materials of one's scope.
    pub const STUDY_EDIT: Perm = Perm::new(Module::Study, Action::Edit);
    /// Approve study plans and correct closed records.
    pub const STUDY_APPROVE: Perm = Perm::new(Module::Study, Action::Approve);
}

/// A set of roles, stored as a bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountRoles(pub i32);

impl AccountRoles {
    pub fn of(roles: &[AccountRole]) -> Self {
        let mut r = AccountRoles::default();
        for x in roles {
            r.0 |= x.bit();
        }
        r
    }

    pub fn contains(self, r: AccountRole) -> bool {
        self.0 & r.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = AccountRole> {
        AccountRole::ALL.iter().copied().filter(move |r| self.contains(*r))
    }

    pub fn labels(self) -> String {
        self.iter().map(AccountRole::label).collect::<Vec<_>>().join("、")
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn has_admin(self) -> bool {
        self.iter().any(AccountRole::is_admin)
    }

    pub fn can(self, p: Perm) -> bool {
        self.iter().any(|r| r.can(p))
    }

    /// 三员分立: an administrator role stands alone.
    pub fn validate(self) -> Result<(), String> {
        if self.is_empty() {
            return Err("请至少选择一个角色".into());
        }
        if self.has_admin() && self.iter().count() > 1 {
            return Err("系统管理员、安全管理员、安全审计员须由不同账号分别担任（三员分立），且不能兼任其他角色".into());
        }
        Ok(())
    }

    /// Parses role codes or labels separated by commas or 、.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut r = AccountRoles::default();
        for part in input.split([',', '，', '、', ' ']).filter(|p| !p.is_empty()) {
            let role = AccountRole::parse_label(part)
                .ok_or_else(|| format!("“{part}”不是可选角色，可选：{}", AccountRole::allowed_labels()))?;
            r.0 |= role.bit();
        }
        Ok(r)
    }
}

/// Login names: 3–32 letters, digits, dots, hyphens and underscores, starting with a letter.
pub fn check_username(input: &str) -> Result<String, String> {
    let s = crate::text::compact(input).to_ascii_lowercase();
    if !(3..=32).contains(&s.len()) {
        return Err("用户名应为3至32个字符".into());
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("用户名须以字母开头".into());
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')) {
        return Err("用户名只能包含字母、数字、点、短横线和下划线".into());
    }
    Ok(s)
}

/// A new password may not repeat the current one nor the ones before it, this many in all.
pub const PASSWORD_HISTORY: usize = 5;

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 128;

/// 等保 password rules: at least 8 characters of at least three kinds (lower case, upper
/// case, digits, symbols), not containing the login name.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!("密码至少{MIN_PASSWORD_LEN}位"));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(format!("密码不能超过{MAX_PASSWORD_LEN}位"));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 3 {
        return Err("密码须包含大写字母、小写字母、数字、符号中的至少三种".into());
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("密码不能包含用户名".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_bits_are_pinned() {
        // Stored in every account row: these numbers must never change.
        let stored = [
            ("system_admin", 1),
            ("security_admin", 2),
            ("audit_admin", 4),
            ("org_staff", 8),
            ("propaganda_staff", 16),
            ("unit_secretary", 32),
            ("training_institution", 64),
            ("inspector", 128),
            ("cadre", 256),
        ];
        assert_eq!(AccountRole::ALL.len(), stored.len(), "a new role needs its pinned bit here");
        for (code, bit) in stored {
            assert_eq!(AccountRole::from_code(code).map(AccountRole::bit), Some(bit), "{code}");
        }
        let mut seen = 0;
        for r in AccountRole::ALL {
            assert_eq!(seen & r.bit(), 0, "{r:?} reuses a bit");
            seen |= r.bit();
        }
    }

    #[test]
    fn three_administrators_stand_alone() {
        use AccountRole::*;
        assert!(AccountRoles::of(&[SystemAdmin]).validate().is_ok());
        assert!(AccountRoles::of(&[SystemAdmin, AuditAdmin]).validate().unwrap_err().contains("三员分立"));
        assert!(AccountRoles::of(&[SecurityAdmin, OrgStaff]).validate().is_err());
        assert!(AccountRoles::of(&[OrgStaff, PropagandaStaff]).validate().is_ok());
        assert!(AccountRoles::default().validate().is_err());
    }

    #[test]
    fn permissions_follow_roles() {
        use AccountRole::*;
        assert!(AccountRoles::of(&[AuditAdmin]).can(Perm::AUDIT_VIEW));
        assert!(!AccountRoles::of(&[AuditAdmin]).can(Perm::PEOPLE_VIEW));
        assert!(!AccountRoles::of(&[SystemAdmin]).can(Perm::AUDIT_VIEW));
        assert!(!AccountRoles::of(&[SecurityAdmin]).can(Perm::PEOPLE_EDIT));
        assert!(AccountRoles::of(&[OrgStaff]).can(Perm::PEOPLE_EDIT));
        assert!(!AccountRoles::of(&[Cadre]).can(Perm::PEOPLE_VIEW));
        assert!(AccountRoles::of(&[OrgStaff]).can(Perm::REGISTRY_VIEW));
        assert!(!AccountRoles::of(&[UnitSecretary]).can(Perm::REGISTRY_VIEW));
        assert!(AccountRoles::of(&[OrgStaff]).can(Perm::TRAINING_EDIT));
        assert!(AccountRoles::of(&[TrainingInstitution]).can(Perm::TRAINING_VIEW));
        assert!(!AccountRoles::of(&[TrainingInstitution]).can(Perm::TRAINING_EDIT));
        assert!(!AccountRoles::of(&[SystemAdmin]).can(Perm::TRAINING_VIEW));
        assert!(!AccountRoles::of(&[Cadre]).can(Perm::TRAINING_VIEW));
    }

    #[test]
    fn password_rules() {
        assert!(check_password("Abcdef12", "zhang").is_ok());
        assert!(check_password("abc12!", "zhang").unwrap_err().contains("至少8位"));
        assert!(check_password("abcdefgh1", "zhang").unwrap_err().contains("至少三种"));
        assert!(check_password("Zhang123!", "zhang").unwrap_err().contains("用户名"));
        assert!(check_password("密码Abc123", "x").is_ok());
    }

    #[test]
    fn usernames() {
        assert_eq!(check_username(" Admin ").as_deref(), Ok("admin"));
        assert!(check_username("1abc").is_err());
        assert!(check_username("ab").is_err());
        assert!(check_username("a b<c").is_err());
    }

    #[test]
    fn roles_parse() {
        assert_eq!(
            AccountRoles::parse("org_staff,宣传部门工作人员").map(AccountRoles::labels).as_deref(),
            Ok("组织部门工作人员、宣传部门工作人员")
        );
        assert!(AccountRoles::parse("国王").is_err());
    }
}
