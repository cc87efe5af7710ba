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
    /// The role's bit in the stored mask: fixed numbers (see `AccountRole::bit`).
    pub fn bit(self) -> i32 {
        let n = match self {
            Role::Secretary => 0,
            Role::DeputySecretary => 1,
            Role::CommitteeMember => 2,
            Role::LeadershipMember => 3,
            Role::Principal => 4,
        };
        1 << n
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
            label: "班子职务",
            synonyms: &["身份", "角色", "人员类别", "党内职务", "党内身份"],
            required: false,
            example: "书记、委员",
            help: "书记、副书记、委员、班子成员、主要负责同志，多个用顿号分隔",
        },
        Column {
            key: "ethnicity",
            label: "民族",
            synonyms: &["族别"],
            required: false,
            example: "汉族",
            help: "如汉族、土家族（“汉”也可）",
        },
        Column {
            key: "native_place",
            label: "籍贯",
            synonyms: &["籍贯（出生地）", "原籍"],
            required: false,
            example: "湖南岳阳",
            help: "",
        },
        Column {
            key: "education",
            label: "学历",
            synonyms: &["文化程度", "最高学历", "全日制学历", "学历学位", "学历/学位", "全日制教育学历"],
            required: false,
            example: "大学",
            help: "如研究生、大学、大专、中专、高中",
        },
        Column {
            key: "degree",
            label: "学位",
            synonyms: &["最高学位", "全日制学位", "全日制教育学位"],
            required: false,
            example: "学士",
            help: "如博士、硕士、学士，可不填",
        },
        Column {
            key: "work_started_on",
            label: "参加工作时间",
            synonyms: &["参加工作日期", "参工时间", "工作时间", "参加工作年月"],
            required: false,
            example: "1970-08",
            help: "如2005-07、2005.7、2005年7月",
        },
        Column {
            key: "position_since",
            label: "任现职时间",
            synonyms: &["任现职日期", "现职时间", "任职时间", "任现职务时间", "任现职年月"],
            required: false,
            example: "2021-06",
            help: "如2021-06、2021.6、2021年6月",
        },
        Column {
            key: "org",
            label: "所在党组织",
            synonyms: &["党组织名称", "所在组织", "所属党组织", "党组织", "所在单位", "工作单位", "所在党组织名称"],
            required: true,
            example: "荆竹村党总支",
            help: "组织全称、唯一的简称或组织代码；与“组织代码”列都填写时按代码确定，并核对名称",
        },
        Column {
            key: "org_code",
            label: "组织代码",
            synonyms: &["所在党组织代码", "党组织代码"],
            required: false,
            example: "430602001001",
            help: "可不填；填写时按代码确定所在党组织",
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
    pairs: &[("org_code", "org")],
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
    pub profile: Profile,
    /// The organisation by code when the roster gives one, else by name.
    pub org_ref: String,
    /// The name given beside a code, to check against the organisation the code names.
    pub org_name_check: Option<String>,
    pub managing_org_ref: Option<String>,
}

/// What a cadre roster (花名册) carries beyond identity and organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    /// 民族, the official name ("汉族").
    pub ethnicity: Option<String>,
    /// 籍贯.
    pub native_place: Option<String>,
    /// 学历.
    pub education: Option<String>,
    /// 学位.
    pub degree: Option<String>,
    /// 参加工作时间.
    pub work_started_on: Option<NaiveDate>,
    /// 任现职时间.
    pub position_since: Option<NaiveDate>,
}

/// The 56 ethnic groups by their official names.
pub const ETHNIC_GROUPS: [&str; 56] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

/// An ethnic group's official name from what rosters write ("汉", "汉族", "土家").
pub fn normalize_ethnicity(input: &str) -> Result<Option<String>, String> {
    let s = crate::text::compact(input);
    if s.is_empty() {
        return Ok(None);
    }
    let full = if s.ends_with('族') { s.clone() } else { format!("{s}族") };
    ETHNIC_GROUPS
        .iter()
        .find(|g| **g == full)
        .map(|g| Some((*g).to_owned()))
        .ok_or_else(|| format!("“{s}”不是民族名称，请填写如“汉族”“土家族”"))
}

pub const MAX_PROFILE_TEXT_CHARS: usize = 30;
/// The youngest age at which a roster's work start date is plausible.
pub const WORK_MIN_AGE: u32 = 14;

fn optional_date(
    f: &(impl Fields + ?Sized),
    errors: &mut Vec<FieldError>,
    key: &'static str,
    check: impl Fn(NaiveDate) -> Result<(), String>,
) -> Option<Option<NaiveDate>> {
    match trim(f.get(key)) {
        "" => Some(None),
        v => f.collect(
            errors,
            key,
            dates::parse(v).map_err(|e| e.to_string()).and_then(|d| check(d.date).map(|_| Some(d.date))),
        ),
    }
}

fn validate_profile(
    f: &(impl Fields + ?Sized),
    errors: &mut Vec<FieldError>,
    birth: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<Profile> {
    let ethnicity = f.collect(errors, "ethnicity", normalize_ethnicity(f.get("ethnicity")));
    let text = |errors: &mut Vec<FieldError>, key: &'static str| {
        f.collect(errors, key, check_text(f.get(key), MAX_PROFILE_TEXT_CHARS, false))
    };
    let native_place = text(errors, "native_place");
    let education = text(errors, "education");
    let degree = text(errors, "degree");
    let not_future = |d: NaiveDate| if d > today { Err("晚于今天".to_owned()) } else { Ok(()) };
    let work_started_on = optional_date(f, errors, "work_started_on", |d| {
        not_future(d)?;
        match birth.and_then(|b| b.checked_add_months(chrono::Months::new(12 * WORK_MIN_AGE))) {
            Some(min) if d < min => Err(format!("早于年满{WORK_MIN_AGE}周岁的日期，请核对")),
            _ => Ok(()),
        }
    });
    let started = work_started_on.flatten();
    let position_since = optional_date(f, errors, "position_since", |d| {
        not_future(d)?;
        match started {
            Some(w) if d < w => Err("早于参加工作时间，请核对".to_owned()),
            _ => Ok(()),
        }
    });
    Some(Profile {
        ethnicity: ethnicity?,
        native_place: native_place?,
        education: education?,
        degree: degree?,
        work_started_on: work_started_on?,
        position_since: position_since?,
    })
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
    let profile = validate_profile(f, &mut errors, birth_date, today);
    // With both columns the code decides and the name is checked against it.
    let org_ref = match trim(f.get("org_code")) {
        "" => f.collect(&mut errors, "org", check_text(f.get("org"), MAX_ORG_REF_CHARS, true)),
        _ => f.collect(&mut errors, "org_code", check_text(f.get("org_code"), MAX_ORG_REF_CHARS, true)),
    };
    let org_name_check = match trim(f.get("org_code")) {
        "" => Some(None),
        _ => f.collect(&mut errors, "org", check_text(f.get("org"), MAX_ORG_REF_CHARS, false)),
    };
    let managing_org_ref =
        f.collect(&mut errors, "managing_org", check_text(f.get("managing_org"), MAX_ORG_REF_CHARS, false));

    if !errors.is_empty() {
        return Err(errors);
    }
    let draft = || {
        Some(PersonDraft {
            name: name?,
            id: id?,
            gender: gender?,
            birth_date: birth_date?,
            phone: phone?,
            party_joined_on: party_joined_on?,
            position: position?,
            rank_level: rank_level?,
            roles: roles?,
            profile: profile?,
            org_ref: org_ref??,
            org_name_check: org_name_check?,
            managing_org_ref: managing_org_ref?,
        })
    };
    match draft() {
        Some(d) => Ok(d),
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

    #[test]
    fn ethnic_groups_as_rosters_write_them() {
        assert_eq!(normalize_ethnicity("汉"), Ok(Some("汉族".into())));
        assert_eq!(normalize_ethnicity(" 土家族 "), Ok(Some("土家族".into())));
        assert_eq!(normalize_ethnicity(""), Ok(None));
        assert!(normalize_ethnicity("火星").is_err_and(|e| e.contains("不是民族名称")));
        assert_eq!(ETHNIC_GROUPS.iter().collect::<std::collections::HashSet<_>>().len(), 56);
    }

    #[test]
    fn person_role_bits_are_pinned() {
        let stored = [
            ("secretary", 1),
            ("deputy_secretary", 2),
            ("committee_member", 4),
            ("leadership_member", 8),
            ("principal", 16),
        ];
        assert_eq!(Role::ALL.len(), stored.len(), "a new role needs its pinned bit here");
        for (code, bit) in stored {
            assert_eq!(Role::from_code(code).map(Role::bit), Some(bit), "{code}");
        }
    }

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
