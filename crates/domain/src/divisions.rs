//! Statistical administrative divisions (统计用区划代码) and the organisations they become.
//!
//! Codes: 6 digits for provinces (`430000`), cities (`430600`) and counties (`430602`),
//! 9 for towns and streets, 12 for villages and communities. In a town code the 7th digit
//! 0 marks a street (街道); in a village code the 10th digit 0, 1 or 4 marks a residents'
//! committee (社区), 2, 3 or 5 a villagers' committee (村).

use crate::org::{OrgKind, Sector};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DivisionLevel {
    Province,
    City,
    County,
    Town,
    Village,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    /// The name as published (`新老村民委员会`).
    pub name: String,
    pub parent_code: Option<String>,
    pub level: DivisionLevel,
}

pub fn level_of(code: &str) -> Option<DivisionLevel> {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match code.len() {
        12 => Some(DivisionLevel::Village),
        9 => Some(DivisionLevel::Town),
        6 if code.ends_with("0000") => Some(DivisionLevel::Province),
        6 if code.ends_with("00") => Some(DivisionLevel::City),
        6 => Some(DivisionLevel::County),
        _ => None,
    }
}

/// Parses the repository's `code,name,parent_code` files (names contain no commas).
pub fn parse_csv(text: &str) -> Result<Vec<Division>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split(',');
        let (Some(code), Some(name), parent) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("line {}: expected code,name,parent_code", i + 1));
        };
        let level = level_of(code).ok_or_else(|| format!("line {}: bad division code {code}", i + 1))?;
        out.push(Division {
            code: code.to_owned(),
            name: name.to_owned(),
            parent_code: parent.filter(|p| !p.is_empty()).map(str::to_owned),
            level,
        });
    }
    Ok(out)
}

impl Division {
    /// The everyday name: `新老村民委员会` → `新老村`, `三荷社区居委会` → `三荷社区`.
    pub fn short_name(&self) -> String {
        if self.level != DivisionLevel::Village {
            return self.name.clone();
        }
        const SUFFIXES: [(&str, &str); 7] = [
            ("村民委员会", "村"),
            ("村委会", "村"),
            ("社区居民委员会", "社区"),
            ("社区居委会", "社区"),
            ("居民委员会", "社区"),
            ("居委会", "社区"),
            ("委员会", ""),
        ];
        for (suffix, tail) in SUFFIXES {
            if let Some(base) = self.name.strip_suffix(suffix) {
                return if base.ends_with(tail) { base.to_owned() } else { format!("{base}{tail}") };
            }
        }
        self.name.clone()
    }

    pub fn sector(&self) -> Sector {
        match self.level {
            DivisionLevel::Province | DivisionLevel::City | DivisionLevel::County => Sector::Organ,
            DivisionLevel::Town if self.code.as_bytes()[6] == b'0' => Sector::Street,
            DivisionLevel::Town => Sector::Township,
            DivisionLevel::Village => {
                let short = self.short_name();
                if short.ends_with("社区") {
                    Sector::Community
                } else if short.ends_with('村') {
                    Sector::Village
                } else if matches!(self.code.as_bytes()[9], b'0' | b'1' | b'4') {
                    Sector::Community
                } else {
                    Sector::Village
                }
            }
        }
    }

    /// Village party organisations are usually general branches; communities, towns and
    /// counties have committees; streets and management zones have working committees.
    pub fn org_kind(&self) -> OrgKind {
        match self.sector() {
            Sector::Village => OrgKind::GeneralBranch,
            Sector::Street => OrgKind::WorkingCommittee,
            _ if self.is_zone() => OrgKind::WorkingCommittee,
            _ => OrgKind::Committee,
        }
    }

    fn is_zone(&self) -> bool {
        ["管理区", "开发区", "管理处", "新区", "风景区"].iter().any(|s| self.name.ends_with(s))
    }

    /// The party organisation's full name, qualified by its county and town so that it is
    /// unique: `中共岳阳县新墙镇长安村总支部委员会`.
    pub fn party_org_name(&self, county: Option<&str>, town: Option<&str>) -> String {
        let body = match self.kind_suffix() {
            suffix if self.level == DivisionLevel::Village => {
                format!("{}{}{}{suffix}", county.unwrap_or(""), town.unwrap_or(""), self.short_name())
            }
            suffix if self.level == DivisionLevel::Town => format!("{}{}{suffix}", county.unwrap_or(""), self.name),
            suffix => format!("{}{suffix}", self.name),
        };
        format!("中共{body}")
    }

    fn kind_suffix(&self) -> &'static str {
        match self.org_kind() {
            OrgKind::GeneralBranch => "总支部委员会",
            OrgKind::WorkingCommittee => "工作委员会",
            _ => "委员会",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn div(code: &str, name: &str) -> Division {
        Division { code: code.into(), name: name.into(), parent_code: None, level: level_of(code).expect("level") }
    }

    #[test]
    fn levels_from_codes() {
        assert_eq!(level_of("430000"), Some(DivisionLevel::Province));
        assert_eq!(level_of("430600"), Some(DivisionLevel::City));
        assert_eq!(level_of("430602"), Some(DivisionLevel::County));
        assert_eq!(level_of("430602001"), Some(DivisionLevel::Town));
        assert_eq!(level_of("430602001001"), Some(DivisionLevel::Village));
        assert_eq!(level_of("4306"), None);
    }

    #[test]
    fn short_names_and_sectors() {
        let v = div("430602100206", "新老村民委员会");
        assert_eq!(v.short_name(), "新老村");
        assert_eq!(v.sector(), Sector::Village);
        assert_eq!(v.org_kind(), OrgKind::GeneralBranch);
        assert_eq!(div("430602201201", "麻布村委会").short_name(), "麻布村");
        let c = div("430602100002", "三荷社区居委会");
        assert_eq!(c.short_name(), "三荷社区");
        assert_eq!(c.sector(), Sector::Community);
        assert_eq!(div("430602001001", "郭亮社区").sector(), Sector::Community);
        assert_eq!(div("430602001", "岳阳楼街道").sector(), Sector::Street);
        assert_eq!(div("430621105", "新墙镇").sector(), Sector::Township);
    }

    #[test]
    fn full_party_org_names() {
        assert_eq!(
            div("430621105201", "长安村民委员会").party_org_name(Some("岳阳县"), Some("新墙镇")),
            "中共岳阳县新墙镇长安村总支部委员会"
        );
        assert_eq!(
            div("430602001", "岳阳楼街道").party_org_name(Some("岳阳楼区"), None),
            "中共岳阳楼区岳阳楼街道工作委员会"
        );
        assert_eq!(div("430602", "岳阳楼区").party_org_name(None, None), "中共岳阳楼区委员会");
        assert_eq!(div("430671", "岳阳市屈原管理区").party_org_name(None, None), "中共岳阳市屈原管理区工作委员会");
    }

    #[test]
    fn the_yueyang_file_has_the_real_shape() {
        let divs = parse_csv(include_str!("../../../assets/divisions/430600-yueyang.csv")).expect("parses");
        let count = |l| divs.iter().filter(|d| d.level == l).count();
        assert_eq!(count(DivisionLevel::City), 1);
        assert_eq!(count(DivisionLevel::County), 10);
        assert_eq!(count(DivisionLevel::Town), 138);
        assert_eq!(count(DivisionLevel::Village), 1899);
    }
}
