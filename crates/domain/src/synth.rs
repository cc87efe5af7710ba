//! Realistic synthetic people for the demo and the benchmarks: Chinese names drawn by
//! surname frequency, identity numbers that pass every check and are unique, and mobile
//! numbers. Seeded, so the same seed gives the same roster.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::idcard::{check_char, pack};
use crate::people::{Gender, Profile, RankLevel};

/// The most common surnames with their approximate share per ten thousand people.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 710),
    ("李", 700),
    ("张", 660),
    ("刘", 540),
    ("陈", 460),
    ("杨", 310),
    ("黄", 230),
    ("赵", 220),
    ("吴", 200),
    ("周", 190),
    ("徐", 130),
    ("孙", 130),
    ("马", 120),
    ("朱", 120),
    ("胡", 110),
    ("郭", 110),
    ("何", 100),
    ("林", 90),
    ("高", 90),
    ("罗", 90),
    ("郑", 90),
    ("梁", 80),
    ("谢", 70),
    ("宋", 70),
    ("唐", 70),
    ("许", 60),
    ("韩", 60),
    ("邓", 60),
    ("冯", 60),
    ("曹", 60),
    ("彭", 60),
    ("曾", 50),
    ("肖", 50),
    ("田", 50),
    ("董", 50),
    ("潘", 50),
    ("袁", 50),
    ("蔡", 40),
    ("蒋", 40),
    ("余", 40),
    ("于", 40),
    ("杜", 40),
    ("叶", 40),
    ("程", 40),
    ("魏", 40),
    ("苏", 40),
    ("吕", 40),
    ("丁", 40),
    ("任", 40),
    ("卢", 30),
    ("姚", 30),
    ("沈", 30),
    ("钟", 30),
    ("姜", 30),
    ("崔", 30),
    ("谭", 30),
    ("陆", 30),
    ("范", 30),
    ("汪", 30),
    ("廖", 30),
    ("石", 30),
    ("金", 30),
    ("韦", 30),
    ("贾", 20),
    ("夏", 20),
    ("付", 20),
    ("方", 20),
    ("邹", 20),
    ("熊", 20),
    ("白", 20),
    ("孟", 20),
    ("秦", 20),
    ("邱", 20),
    ("侯", 20),
    ("江", 20),
    ("尹", 20),
    ("薛", 20),
    ("闫", 20),
    ("段", 20),
    ("雷", 20),
    ("黎", 20),
    ("史", 20),
    ("龙", 20),
    ("陶", 20),
    ("贺", 20),
    ("顾", 20),
    ("毛", 20),
    ("郝", 20),
    ("龚", 20),
    ("邵", 20),
    ("万", 20),
    ("覃", 10),
    ("武", 10),
    ("钱", 10),
    ("戴", 10),
    ("严", 10),
    ("莫", 10),
    ("孔", 10),
    ("向", 10),
    ("常", 10),
    ("欧阳", 5),
    ("易", 10),
    ("颜", 10),
    ("左", 10),
];

const MALE_CHARS: &str = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘";
const FEMALE_CHARS: &str = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽";

/// Mobile number prefixes of the three carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157",
    "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187",
    "188", "189", "191", "198", "199",
];

/// A seeded generator of realistic people.
#[derive(Debug)]
pub struct Synth {
    rng: StdRng,
    surname_total: u32,
    male: Vec<char>,
    female: Vec<char>,
    used_ids: HashSet<u64>,
}

impl Synth {
    pub fn new(seed: u64) -> Self {
        Synth {
            rng: StdRng::seed_from_u64(seed),
            surname_total: SURNAMES.iter().map(|(_, w)| w).sum(),
            male: MALE_CHARS.chars().collect(),
            female: FEMALE_CHARS.chars().collect(),
            used_ids: HashSet::new(),
        }
    }

    /// True with the given probability.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.rng.random_range(0..n) }
    }

    pub fn gender(&mut self, male_share: f64) -> Gender {
        if self.chance(male_share) { Gender::Male } else { Gender::Female }
    }

    pub fn name(&mut self, gender: Gender) -> String {
        let mut pick = self.rng.random_range(0..self.surname_total);
        let mut surname = SURNAMES[0].0;
        for (s, w) in SURNAMES {
            if pick < *w {
                surname = s;
                break;
            }
            pick -= w;
        }
        let given_len = if self.chance(0.7) { 2 } else { 1 };
        let chars = if gender == Gender::Male { &self.male } else { &self.female };
        let mut name = String::from(surname);
        for _ in 0..given_len {
            name.push(chars[self.rng.random_range(0..chars.len())]);
        }
        name
    }

    /// A birth date making the person between `min_age` and `max_age` years old on `today`.
    pub fn birth_date(&mut self, today: NaiveDate, min_age: u32, max_age: u32) -> NaiveDate {
        let latest = NaiveDate::from_ymd_opt(today.year() - min_age as i32, today.month(), 1).unwrap_or(today);
        let span_days = u64::from(max_age.saturating_sub(min_age)) * 365;
        latest.checked_sub_days(Days::new(self.rng.random_range(0..span_days.max(1)))).unwrap_or(latest)
    }

    /// A valid identity number for someone born in `region` (6-digit county code), unique
    /// among the numbers this generator has made.
    pub fn id_number(&mut self, region: &str, birth: NaiveDate, gender: Gender) -> String {
        let region = if region.len() >= 6 { &region[..6] } else { "430602" };
        let mut birth = birth;
        loop {
            for _ in 0..50 {
                let mut seq = self.rng.random_range(0..500u32) * 2;
                if gender == Gender::Male {
                    seq += 1;
                }
                let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
                let number = format!("{first17}{}", check_char(first17.as_bytes()));
                if pack(&number).is_some_and(|p| self.used_ids.insert(p)) {
                    return number;
                }
            }
            // That day is crowded in this region; the next day is as plausible.
            birth = birth.succ_opt().unwrap_or(birth);
        }
    }

    pub fn mobile(&mut self) -> String {
        let prefix = MOBILE_PREFIXES[self.rng.random_range(0..MOBILE_PREFIXES.len())];
        format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32))
    }

    /// A party joining date, usually in the person's twenties, at least a year before
    /// `today` (and never before 18, the age the Party's constitution sets).
    pub fn party_joined_on(&mut self, birth: NaiveDate, today: NaiveDate) -> NaiveDate {
        let at = |years: u32| birth.checked_add_months(chrono::Months::new(12 * years)).unwrap_or(birth);
        let latest = at(32).min(today.checked_sub_months(chrono::Months::new(12)).unwrap_or(today));
        self.between(at(20).min(latest).max(at(18)), latest)
    }

    /// A day in `[from, to]` (`from` when the range is empty).
    fn between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days();
        if span <= 0 {
            return from;
        }
        from.checked_add_days(Days::new(self.rng.random_range(0..=span as u64))).unwrap_or(from)
    }

    /// What a roster carries beside identity, agreeing with age and rank: work from 18–23,
    /// the current post held for up to eight years, education by rank.
    pub fn profile(&mut self, birth: NaiveDate, rank: RankLevel, today: NaiveDate) -> Profile {
        let at = |years: u32| birth.checked_add_months(chrono::Months::new(12 * years)).unwrap_or(birth);
        let work = self.between(at(18), at(23).min(today));
        let since_earliest = work.max(today.checked_sub_months(chrono::Months::new(96)).unwrap_or(today));
        let since = self.between(since_earliest, today.checked_sub_months(chrono::Months::new(3)).unwrap_or(today));
        let ethnicity = match self.rng.random_range(0..100) {
            0..=2 => "土家族",
            3..=4 => "苗族",
            5 => "回族",
            _ => "汉族",
        };
        let place = NATIVE_PLACES[self.rng.random_range(0..NATIVE_PLACES.len())];
        let (education, degree) = match (rank, self.rng.random_range(0..10)) {
            (RankLevel::Bureau | RankLevel::County, 0..=5) => ("研究生", Some("硕士")),
            (RankLevel::Bureau | RankLevel::County, _) => ("大学", Some("学士")),
            (RankLevel::Township, 0..=1) => ("研究生", Some("硕士")),
            (RankLevel::Township, _) => ("大学", Some("学士")),
            (RankLevel::Other, 0..=2) => ("大学", Some("学士")),
            (RankLevel::Other, 3..=6) => ("大专", None),
            (RankLevel::Other, _) => ("高中", None),
        };
        Profile {
            ethnicity: Some(ethnicity.to_owned()),
            native_place: Some(place.to_owned()),
            education: Some(education.to_owned()),
            degree: degree.map(str::to_owned),
            work_started_on: Some(work),
            position_since: Some(since),
        }
    }
}

/// Native places as 岳阳's rosters write them.
const NATIVE_PLACES: &[&str] = &[
    "湖南岳阳",
    "湖南平江",
    "湖南湘阴",
    "湖南华容",
    "湖南汨罗",
    "湖南临湘",
    "湖南岳阳县",
    "湖南长沙",
    "湖南益阳",
    "湖南常德",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard;
    use crate::names::normalize_person_name;
    use crate::phone;

    #[test]
    fn generated_people_pass_every_check_and_ids_are_unique() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let mut s = Synth::new(7);
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            let g = s.gender(0.6);
            let name = s.name(g);
            assert_eq!(normalize_person_name(&name).as_deref(), Ok(name.as_str()));
            let birth = s.birth_date(today, 25, 60);
            // A crowded day moves the birth date, so check against the number itself.
            let id = idcard::parse(&s.id_number("430602", birth, g), today).expect("valid id");
            assert_eq!(id.gender, g);
            assert!(seen.insert(id.number));
            assert!(phone::normalize(&s.mobile()).is_ok());
            let joined = s.party_joined_on(id.birth_date, today);
            assert!(joined < today - chrono::Duration::days(360), "joined at least a year ago");
            assert!(joined >= id.birth_date.with_year(id.birth_date.year() + 18).unwrap_or(id.birth_date));
            let p = s.profile(id.birth_date, RankLevel::Township, today);
            let (work, since) = (p.work_started_on.expect("work"), p.position_since.expect("since"));
            assert!(work >= id.birth_date.with_year(id.birth_date.year() + 18).unwrap_or(id.birth_date));
            assert!(work <= since && since <= today, "{work} {since}");
        }
    }

    #[test]
    fn same_seed_same_people() {
        let (mut a, mut b) = (Synth::new(42), Synth::new(42));
        assert_eq!(a.name(Gender::Female), b.name(Gender::Female));
        assert_eq!(a.mobile(), b.mobile());
    }
}
