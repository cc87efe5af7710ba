//! People: the cadres and party members on an organisation's roster.

use chrono::{Datelike, NaiveDate};

use crate::dates::{self, Precision};
use crate::idcard::{self, IdNumber};
use crate::import::{Column, ImportSpec};
use crate::labeled_enum;
use crate::labels::Labeled;
use crate::names::normalize_person_name;
use crate::org::check_text;
use crate::phone;
use crate::text::trim;
use crate::validate::{FieldError, Fields};

labeled_enum! {
    pub enum Gender {
        Male => ("male", "男", ["男性", "M", "男士"]),
        Female => ("female", "女", ["女性", "F", "女士"]),
    }
}

labeled_enum! {
    /// Rank level (职级).
    pub enum RankLevel {
        Bureau => ("bureau", "厅局级", ["厅级", "正厅", "副厅", "厅局级正职", "厅局级副职", "正厅级", "副厅级"]),
        County => ("county", "县处级", ["处级", "正处", "副处", "县处级正职", "县处级副职", "正处级", "副处级"]),
        Township => ("township", "乡科级", ["科级", "正科", "副科", "乡科级正职", "乡科级副职", "正科级", "副科级"]),
        Other => ("other", "其他", ["其它", "无", "科员", "办事员", "一般干部"]),
    }
}

labeled_enum! {
    /// A person's roles in their organisation's leadership (身份).
    pub enum Role {
        Secretary => ("secretary", "书记", ["党组织书记", "党委书记", "支部书记", "总支书记", "党组书记"]),
        DeputySecretary => ("deputy_secretary", "副书记", ["党委副书记", "支部副书记"]),
        CommitteeMember => ("committee_member", "委员", ["支委", "党委委员", "支部委员", "两委委员"]),
        LeadershipMember => ("leadership_member", "班子成员", ["领导班子成员", "班子"]),
        Principal => ("principal", "主要负责同志", ["主要负责人", "主要领导", "一把手"]),
    }
}

impl Role {
    pub fn bit(self) -> i32 {
        1 << (self as i32)
    }
}

/// A set of roles, stored as a bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Roles(pub i32);

impl Roles {
    pub fn contains(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn insert(&mut self, r: Role) {
        self.0 |= r.bit();
    }
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(move |r| self.contains(*r))
    }
    /// "书记、委员"
    pub fn labels(self) -> String {
        self.iter().map(Role::label).collect::<Vec<_>>().join("、")
    }
    /// Parses "书记、委员", "书记,委员", "书记 委员".
    pub fn parse(input: &str) -> Result<Roles, String> {
        let mut roles = Roles::default();
        for part in input.split(['、', ',', '，', ';', '；', '/', ' ', '\u{3000}']).filter(|p| !p.is_empty()) {
            let r = Role::parse_label(part)
                .ok_or_else(|| format!("“{part}”不是可选身份，可选：{}", Role::allowed_labels()))?;
            roles.insert(r);
        }
        Ok(roles)
    }
}

/// The people import (花名册).
pub const PERSON_IMPORT: ImportSpec = ImportSpec {
    kind: "people",
    title: "人员花名册",
    columns: &[
        Column {
            key: "name",
            label: "姓名",
            synonyms: &["名字", "人员姓名", "学员姓名", "干部姓名", "党员姓名"],
            required: true,
            example: "张三",
            help: "两字姓名中间的空格会自动去除",
        },
        Column {
            key: "id_number",
            label: "身份证号",
            synonyms: &["公民身份号码", "身份证号码", "身份证", "证件号码", "身份证件号码", "公民身份证号码"],
            required: true,
            example: "11010519491231002X",
            help: "18位，末位X大小写均可；15位旧号码自动转换",
        },
        Column {
            key: "gender",
            label: "性别",
            synonyms: &[],
            required: false,
            example: "女",
            help: "男或女，可不填（按身份证号）",
        },
        Column {
            key: "birth_date",
            label: "出生日期",
            synonyms: &["出生年月", "出生年月日", "生日", "出生时间"],
            required: false,
            example: "1949-12-31",
            help: "可不填；填写时须与身份证号一致",
        },
        Column {
            key: "phone",
            label: "联系电话",
            synonyms: &["手机号", "手机", "手机号码", "电话", "联系方式", "电话号码", "移动电话"],
            required: false,
            example: "13807301234",
            help: "手机号或带区号的固定电话",
        },
        Column {
            key: "party_joined_on",
            label: "入党时间",
            synonyms: &["入党日期", "入党年月", "加入党组织日期", "入党时间(年月)"],
            required: false,
            example: "1970-07-01",
            help: "如2015-03-03、2015.3、2015年3月",
        },
        Column {
            key: "position",
            label: "职务",
            synonyms: &["现任职务", "职位", "岗位", "行政职务"],
            required: false,
            example: "村党总支书记",
            help: "",
        },
        Column {
            key: "rank_level",
            label: "职级",
            synonyms: &["级别", "职务层次", "职级层次", "职务级别"],
            required: false,
            example: "乡科级",
            help: "厅局级、县处级、乡科级、其他",
        },
        Column {
            key: "roles",
            label: "身份",
            synonyms: &["角色", "人员类别", "班子职务", "党内职务", "党内身份"],
            required: false,
            example: "书记、委员",
            help: "书记、副书记、委员、班子成员、主要负责同志，多个用顿号分隔",
        },
        Column {
            key: "org",
            label: "所在党组织",
            synonyms: &[
                "党组织名称",
                "组织代码",
                "所在组织",
                "所属党组织",
                "党组织",
                "所在单位",
                "工作单位",
                "所在党组织代码",
                "党组织代码",
            ],
            required: true,
            example: "430602001001",
            help: "组织代码、全称或唯一的简称",
        },
        Column {
            key: "managing_org",
            label: "干部管理单位",
            synonyms: &["管理单位", "干部管理权限", "管理部门"],
            required: false,
            example: "",
            help: "负责其培训的组织部门（代码或名称），可不填",
        },
    ],
};

pub const MAX_POSITION_CHARS: usize = 100;
pub const MAX_ORG_REF_CHARS: usize = 100;
/// Party membership starts at 18 (党章 第一条).
pub const PARTY_MIN_AGE: u32 = 18;

/// A validated person. The organisation references are text (code or name), resolved by
/// the store against what the caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    pub name: String,
    pub id: IdNumber,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub party_joined_on: Option<NaiveDate>,
    pub position: Option<String>,
    pub rank_level: Option<RankLevel>,
    pub roles: Roles,
    pub org_ref: String,
    pub managing_org_ref: Option<String>,
}

/// Validates person fields given by key: `name`, `id_number`, `gender`, `birth_date`,
/// `phone`, `party_joined_on`, `position`, `rank_level`, `roles`, `org`, `managing_org`.
/// Gender and birth date, when given, must agree with the identity number.
pub fn validate_person(f: &(impl Fields + ?Sized), today: NaiveDate) -> Result<PersonDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = f.collect(&mut errors, "name", normalize_person_name(f.get("name")).map_err(|e| e.to_string()));
    let id = f.collect(&mut errors, "id_number", idcard::parse(f.get("id_number"), today).map_err(|e| e.to_string()));

    let gender = match trim(f.get("gender")) {
        "" => id.as_ref().map(|id| id.gender),
        g => f.collect(
            &mut errors,
            "gender",
            Gender::parse_label(g).ok_or_else(|| format!("“{g}”不是可选值，可选：男、女")).and_then(|g| match &id {
                Some(id) if id.gender != g => Err(format!("与身份证号不一致（身份证号显示为{}）", id.gender.label())),
                _ => Ok(g),
            }),
        ),
    };

    let birth_date = match trim(f.get("birth_date")) {
        "" => id.as_ref().map(|id| id.birth_date),
        b => f.collect(
            &mut errors,
            "birth_date",
            dates::parse(b).map_err(|e| e.to_string()).and_then(|d| match &id {
                Some(id) if !same_date(d, id.birth_date) => {
                    Err(format!("与身份证号不一致（身份证号显示为{}）", id.birth_date.format("%Y年%-m月%-d日")))
                }
                _ => Ok(id.as_ref().map_or(d.date, |id| id.birth_date)),
            }),
        ),
    };

    let phone = match trim(f.get("phone")) {
        "" => Some(None),
        p => f.collect(&mut errors, "phone", phone::normalize(p).map(Some).map_err(|e| e.to_string())),
    };

    let party_joined_on = match trim(f.get("party_joined_on")) {
        "" => Some(None),
        p => f.collect(
            &mut errors,
            "party_joined_on",
            dates::parse(p).map_err(|e| e.to_string()).and_then(|d| {
                if d.date > today {
                    Err("晚于今天".to_owned())
                } else if birth_date.is_some_and(|b| d.date < adult_on(b)) {
                    Err(format!("早于年满{PARTY_MIN_AGE}周岁的日期，请核对"))
                } else {
                    Ok(Some(d.date))
                }
            }),
        ),
    };

    let position = f.collect(&mut errors, "position", check_text(f.get("position"), MAX_POSITION_CHARS, false));
    let rank_level = match trim(f.get("rank_level")) {
        "" => Some(None),
        r => f.collect(
            &mut errors,
            "rank_level",
            RankLevel::parse_label(r)
                .map(Some)
                .ok_or_else(|| format!("“{r}”不是可选值，可选：{}", RankLevel::allowed_labels())),
        ),
    };
    let roles = f.collect(&mut errors, "roles", Roles::parse(f.get("roles")));
    let org_ref = f.collect(&mut errors, "org", check_text(f.get("org"), MAX_ORG_REF_CHARS, true));
    let managing_org_ref =
        f.collect(&mut errors, "managing_org", check_text(f.get("managing_org"), MAX_ORG_REF_CHARS, false));

    if !errors.is_empty() {
        return Err(errors);
    }
    match (name, id, gender, birth_date, phone, party_joined_on, position, rank_level, roles, org_ref, managing_org_ref)
    {
        (
            Some(name),
            Some(id),
            Some(gender),
            Some(birth_date),
            Some(phone),
            Some(party_joined_on),
            Some(position),
            Some(rank_level),
            Some(roles),
            Some(Some(org_ref)),
            Some(managing_org_ref),
        ) => Ok(PersonDraft {
            name,
            id,
            gender,
            birth_date,
            phone,
            party_joined_on,
            position,
            rank_level,
            roles,
            org_ref,
            managing_org_ref,
        }),
        // Every None above has pushed an error, so this arm is unreachable in practice;
        // it still answers with a message rather than panicking.
        _ => Err(vec![FieldError { field: "name", message: "数据不完整".into() }]),
    }
}

fn same_date(given: dates::FlexDate, from_id: NaiveDate) -> bool {
    match given.precision {
        Precision::Day => given.date == from_id,
        Precision::Month => given.date.year() == from_id.year() && given.date.month() == from_id.month(),
    }
}

fn adult_on(birth: NaiveDate) -> NaiveDate {
    birth.checked_add_months(chrono::Months::new(12 * PARTY_MIN_AGE)).unwrap_or(birth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    const GOOD: [(&str, &str); 11] = [
        ("name", "张  三"),
        ("id_number", "11010519491231002x"),
        ("gender", "女"),
        ("birth_date", "1949.12"),
        ("phone", "138 0730 1234"),
        ("party_joined_on", "1970年7月1日"),
        ("position", "村党总支书记"),
        ("rank_level", "其他"),
        ("roles", "书记、委员"),
        ("org", "430602001001"),
        ("managing_org", ""),
    ];

    fn with(key: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
        GOOD.iter().map(|(k, v)| (*k, if *k == key { value } else { *v })).collect()
    }

    #[test]
    fn a_good_row_is_normalised() {
        let p = validate_person(&GOOD, today()).expect("valid");
        assert_eq!(p.name, "张三");
        assert_eq!(p.id.number, "11010519491231002X");
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"));
        assert_eq!(p.phone.as_deref(), Some("13807301234"));
        assert!(p.roles.contains(Role::Secretary) && p.roles.contains(Role::CommitteeMember));
        assert_eq!(p.roles.labels(), "书记、委员");
    }

    #[test]
    fn gender_and_birth_date_must_agree_with_the_id() {
        let e = validate_person(with("gender", "男").as_slice(), today()).unwrap_err();
        assert_eq!(e[0].field, "gender");
        assert!(e[0].message.contains("身份证号显示为女"));
        let e = validate_person(with("birth_date", "1950-01-01").as_slice(), today()).unwrap_err();
        assert_eq!(e[0].field, "birth_date");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let rows =
            [("name", "张"), ("id_number", "110105194912310021"), ("phone", "123"), ("roles", "队长"), ("org", "")];
        let e = validate_person(&rows, today()).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "id_number", "phone", "roles", "org"]);
    }

    #[test]
    fn party_membership_before_eighteen_is_refused() {
        let e = validate_person(with("party_joined_on", "1960-01-01").as_slice(), today()).unwrap_err();
        assert_eq!(e[0].field, "party_joined_on");
    }
}
