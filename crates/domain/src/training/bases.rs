//! Practice bases (示范培训实践基地, seed 002 §四, issue 14 item 3): an application with the
//! 五有 checklist, accreditation (授牌) by a county for itself, recommendation by a county
//! to the city within its quota, accreditation by the city, return, yearly review and
//! revocation.
//!
//! **States.** draft → (county) 县级授牌 `county`; draft or county → (county) 推荐市级
//! `recommended` → (city) 市级授牌 `city` or 退回 `returned` (back to the county, which may
//! recommend it again); an accredited base is revoked (`revoked`) with a reason by the level
//! that accredited it. Accreditation and recommendation need all five items.
//!
//! **Numbers** [002 §四]: the city accredits 10 villages and 10 communities; 岳阳楼区
//! recommends 1 village and 2 communities, 南湖风景区 1 community, every other county 1 village
//! and 1 community (data: the city edits them); each county accredits at least 5 villages and
//! 5 communities itself.
//!
//! Rules only, no I/O.

use crate::labeled_enum;
use crate::labels::Labeled;

labeled_enum! {
    /// What a base is.
    pub enum BaseKind {
        Village => ("village", "村", ["行政村", "村级"]),
        Community => ("community", "社区", ["城市社区", "社区级"]),
        Other => ("other", "其他", ["合作组织", "企业", "农村经济合作组织", "龙头企业"]),
    }
}

labeled_enum! {
    /// Where a base stands.
    pub enum BaseState {
        Draft => ("draft", "申报中", ["草稿", "未推荐"]),
        County => ("county", "县级授牌", ["县级", "已授牌（县级）"]),
        Recommended => ("recommended", "已推荐市级", ["已推荐", "推荐"]),
        City => ("city", "市级授牌", ["市级", "已授牌（市级）"]),
        Returned => ("returned", "市级退回", ["退回", "未通过"]),
        Revoked => ("revoked", "已撤销", ["撤销", "摘牌"]),
    }
}

labeled_enum! {
    /// A step on a base.
    pub enum BaseAction {
        AccreditCounty => ("accredit_county", "县级授牌", ["县级认定"]),
        Recommend => ("recommend", "推荐市级", ["推荐"]),
        AccreditCity => ("accredit_city", "市级授牌", ["市级认定"]),
        Return => ("return", "退回", ["不予授牌"]),
        Revoke => ("revoke", "撤销授牌", ["撤销", "摘牌"]),
    }
}

/// The 五有 standard: (field, what it asks for).
pub const FIVE_ITEMS: [(&str, &str); 5] = [
    ("venue", "有满足培训需要的场所"),
    ("guide", "有熟悉情况的讲解员"),
    ("material", "有生动具体的典型材料"),
    ("site", "有可供参观学习的现场"),
    ("film", "有特色明显的专题片"),
];

/// Bases the city accredits a year, of villages and of communities.
pub const CITY_VILLAGES: u32 = 10;
pub const CITY_COMMUNITIES: u32 = 10;
/// Bases each county accredits itself, at least, of villages and of communities.
pub const COUNTY_MIN: u32 = 5;

/// How many villages and communities a county recommends to the city a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    pub villages: u32,
    pub communities: u32,
}

impl Quota {
    pub fn of(self, kind: BaseKind) -> u32 {
        match kind {
            BaseKind::Village => self.villages,
            BaseKind::Community => self.communities,
            BaseKind::Other => 0,
        }
    }
}

/// The seed's quota of a county by its name (002 §四); the city edits it.
pub fn default_quota(county_name: &str) -> Quota {
    if county_name.contains("岳阳楼") {
        Quota { villages: 1, communities: 2 }
    } else if county_name.contains("南湖") {
        Quota { villages: 0, communities: 1 }
    } else {
        Quota { villages: 1, communities: 1 }
    }
}

/// The city's number of a kind.
pub fn city_cap(kind: BaseKind) -> u32 {
    match kind {
        BaseKind::Village => CITY_VILLAGES,
        BaseKind::Community => CITY_COMMUNITIES,
        BaseKind::Other => 0,
    }
}

/// The 五有 items without evidence, as the standard words them.
pub fn missing(evidence: &[&str; 5]) -> Vec<&'static str> {
    FIVE_ITEMS.iter().zip(evidence).filter(|(_, e)| e.trim().is_empty()).map(|((_, label), _)| *label).collect()
}

/// Files of evidence (photos, documents, the film) each 五有 item holds at most.
pub const FILES_PER_ITEM: usize = 5;

/// What an evidence file is, read from its content (`files::sniff`, never from its name
/// alone), or why it is refused. Photos (JPEG, PNG, GIF, WebP), PDF, Word, Excel,
/// PowerPoint, WPS and OFD files and MP4 films are taken.
pub fn evidence_kind(name: &str, bytes: &[u8]) -> Result<crate::files::FileKind, String> {
    use crate::files::Family;
    crate::files::sniff(name, bytes)
        .filter(|k| matches!(k.family, Family::Photo | Family::Document | Family::Video))
        .ok_or_else(|| {
            "只能上传照片（JPG、PNG、GIF、WebP）、PDF、Word、Excel、PowerPoint、WPS、OFD 文件或 MP4 视频；\
             该文件的内容不是这些格式，请转换后再上传"
                .to_owned()
        })
}

/// Whether evidence of this content type is shown in the page (a photo).
pub fn is_photo(mime: &str) -> bool {
    mime.starts_with("image/")
}

/// Whether a base in `state` is editable (its application).
pub fn editable(state: BaseState) -> bool {
    matches!(state, BaseState::Draft | BaseState::Returned)
}

/// The state after `action`, or why not. `five` are the items without evidence; `used` is
/// what the quota or cap already holds this year (without this base); `reason` is the
/// comment a return or revocation needs.
pub fn next_state(
    from: BaseState,
    action: BaseAction,
    kind: BaseKind,
    five: &[&str],
    used: u32,
    limit: u32,
    reason: &str,
) -> Result<BaseState, String> {
    use BaseAction as A;
    use BaseState as S;
    let all_five = || {
        if five.is_empty() {
            Ok(())
        } else {
            Err(format!("未达到“五有”标准，缺少：{}；请补充相应材料后再{}", five.join("、"), action.label()))
        }
    };
    let within = |what: &str| {
        if used < limit {
            Ok(())
        } else {
            Err(format!("{what}（{}）已满：本年度已有{used}个，不能再{}", kind.label(), action.label()))
        }
    };
    match (from, action) {
        (S::Draft | S::Returned, A::AccreditCounty) => all_five().map(|_| S::County),
        (S::Draft | S::Returned | S::County, A::Recommend) => {
            if kind == BaseKind::Other {
                return Err("市级示范培训实践基地从村和社区中推荐；其他类型的基地可由县市区授牌".into());
            }
            all_five()?;
            within(&format!("本县市区推荐名额{limit}个"))?;
            Ok(S::Recommended)
        }
        (S::Recommended, A::AccreditCity) => {
            all_five()?;
            within(&format!("市级授牌名额{limit}个"))?;
            Ok(S::City)
        }
        (S::Recommended, A::Return) => {
            if reason.trim().is_empty() {
                Err("退回时请填写意见，说明需要补充或改进的内容".into())
            } else {
                Ok(S::Returned)
            }
        }
        (S::County | S::City, A::Revoke) => {
            if reason.trim().is_empty() {
                Err("撤销授牌时请填写原因（如年度复核不合格）".into())
            } else {
                Ok(S::Revoked)
            }
        }
        _ => Err(format!("“{}”状态的基地不能{}", from.label(), action.label())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_known_by_its_content_not_its_name() {
        let mime = |n: &str, b: &[u8]| evidence_kind(n, b).map(|k| k.mime);
        assert_eq!(mime("现场.jpg", b"\xFF\xD8\xFF\xE0rest"), Ok("image/jpeg"));
        assert_eq!(mime("片.mp4", b"\0\0\0\x18ftypmp42"), Ok("video/mp4"));
        assert_eq!(mime("材料.PDF", b"%PDF-1.7"), Ok("application/pdf"));
        let docx = b"PK\x03\x04..[Content_Types].xml..word/document.xml";
        assert!(mime("材料.docx", docx).is_ok_and(|m| m.contains("wordprocessingml")));
        // A zip, an executable or a page renamed is refused, whatever its name says; so is
        // plain text (not evidence).
        assert!(evidence_kind("照片.jpg", b"MZ\x90\0").is_err());
        assert!(evidence_kind("材料.docx", b"PK\x03\x04..evil.exe").is_err());
        assert!(evidence_kind("page.html", b"<html><script>").is_err());
        assert!(is_photo("image/png") && !is_photo("application/pdf"));
    }

    const ALL: [&str; 5] = ["培训室120平方米", "讲解员2名", "典型材料汇编", "产业园现场", "专题片《村庄之变》"];

    #[test]
    fn accreditation_needs_all_five_items_and_names_the_missing_ones() {
        let m = missing(&ALL);
        assert!(m.is_empty());
        let m = missing(&["培训室", " ", "材料", "", "专题片"]);
        assert_eq!(m, ["有熟悉情况的讲解员", "有可供参观学习的现场"]);
        let e = next_state(BaseState::Draft, BaseAction::AccreditCounty, BaseKind::Village, &m, 0, 0, "")
            .expect_err("two missing");
        assert!(e.contains("有熟悉情况的讲解员、有可供参观学习的现场"), "{e}");
        assert_eq!(
            next_state(BaseState::Draft, BaseAction::AccreditCounty, BaseKind::Village, &[], 0, 0, ""),
            Ok(BaseState::County)
        );
    }

    #[test]
    fn recommendation_keeps_the_quota_and_the_city_its_ten() {
        let q = default_quota("岳阳楼区");
        assert_eq!((q.of(BaseKind::Village), q.of(BaseKind::Community)), (1, 2));
        assert_eq!(default_quota("南湖风景区").of(BaseKind::Village), 0);
        assert_eq!(default_quota("平江县"), Quota { villages: 1, communities: 1 });
        let r = |used, limit| {
            next_state(BaseState::County, BaseAction::Recommend, BaseKind::Community, &[], used, limit, "")
        };
        assert_eq!(r(1, 2), Ok(BaseState::Recommended));
        let e = r(2, 2).expect_err("over quota");
        assert!(e.contains("推荐名额2个") && e.contains("已有2个"), "{e}");
        let e = next_state(BaseState::Draft, BaseAction::Recommend, BaseKind::Other, &[], 0, 1, "").expect_err("other");
        assert!(e.contains("村和社区"), "{e}");
        let city = |used| {
            next_state(
                BaseState::Recommended,
                BaseAction::AccreditCity,
                BaseKind::Village,
                &[],
                used,
                CITY_VILLAGES,
                "",
            )
        };
        assert_eq!(city(9), Ok(BaseState::City));
        assert!(city(10).expect_err("eleventh").contains("市级授牌名额10个"));
    }

    #[test]
    fn returns_and_revocations_need_a_reason_and_the_right_state() {
        let k = BaseKind::Village;
        let e = next_state(BaseState::Recommended, BaseAction::Return, k, &[], 0, 0, " ").expect_err("no comment");
        assert!(e.contains("意见"));
        assert_eq!(
            next_state(BaseState::Recommended, BaseAction::Return, k, &[], 0, 0, "补充"),
            Ok(BaseState::Returned)
        );
        assert_eq!(next_state(BaseState::City, BaseAction::Revoke, k, &[], 0, 0, "复核不合格"), Ok(BaseState::Revoked));
        let e = next_state(BaseState::Draft, BaseAction::AccreditCity, k, &[], 0, 10, "").expect_err("not recommended");
        assert!(e.contains("“申报中”状态的基地不能市级授牌"), "{e}");
        assert!(next_state(BaseState::Revoked, BaseAction::Recommend, k, &[], 0, 1, "").is_err());
        assert!(editable(BaseState::Returned) && !editable(BaseState::City));
    }
}
