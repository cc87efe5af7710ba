//! The closed code lists of rotational training, with the English codes of the JSON API.

use crate::labeled_enum;

labeled_enum! {
    /// Teaching mode of a session (教学方式) [002 §三].
    pub enum TeachingMode {
        Lecture => ("lecture", "专题辅导", ["专题讲座", "辅导报告", "授课辅导", "讲座"]),
        Experience => ("experience", "经验介绍", ["经验交流", "现身说法"]),
        Case => ("case", "案例分析", ["案例教学", "案例研讨"]),
        SiteVisit => ("site_visit", "现场观摩", ["现场教学", "实地观摩", "参观学习"]),
        Discussion => ("discussion", "讨论交流", ["分组讨论", "交流研讨", "讨论"]),
        Elective => ("elective", "菜单选学", ["选学", "自主选学"]),
    }
}

labeled_enum! {
    /// Level of a class (班次层级) [002 §五(一)].
    pub enum ClassLevel {
        Province => ("province", "省级示范班", ["省级", "省级示范", "示范班", "省级班"]),
        City => ("city", "市级", ["市级班", "市级集中培训", "市级培训"]),
        County => ("county", "县级", ["县级班", "县市区级", "县市区"]),
        Unit => ("unit", "单位", ["单位自办", "单位级", "本单位"]),
    }
}

impl ClassLevel {
    /// Higher is a higher organiser: province 3 … unit 0.
    pub fn height(self) -> u8 {
        match self {
            ClassLevel::Province => 3,
            ClassLevel::City => 2,
            ClassLevel::County => 1,
            ClassLevel::Unit => 0,
        }
    }

    /// Whether a class at this level counts towards a quota set at `level`: a province
    /// demonstration class is also "city level or above" [002 §五(一)].
    pub fn at_least(self, level: ClassLevel) -> bool {
        self.height() >= level.height()
    }
}

labeled_enum! {
    /// Kind of campaign (培训类别).
    pub enum CampaignKind {
        Rotation => ("rotation", "集中轮训", ["轮训"]),
        Winter => ("winter", "冬训", ["冬春训", "党员冬训"]),
        Thematic => ("thematic", "专题培训", ["专题班", "专题"]),
    }
}

labeled_enum! {
    /// Half-day slot of a session (时段).
    pub enum SessionSlot {
        Am => ("am", "上午", ["上午场"]),
        Pm => ("pm", "下午", ["下午场"]),
        Evening => ("evening", "晚上", ["晚间", "夜间"]),
    }
}

labeled_enum! {
    /// Status of a trainee in a class (学员状态).
    pub enum EnrolmentStatus {
        Enrolled => ("enrolled", "已报名", ["在册", "已录取", "在训"]),
        Waitlisted => ("waitlisted", "候补", ["候补名单", "排队"]),
        Withdrawn => ("withdrawn", "已退学", ["退学", "退训", "已退出"]),
        Completed => ("completed", "已结业", ["结业", "完成"]),
    }
}

labeled_enum! {
    /// Attendance mark for one session (考勤).
    pub enum AttendanceMark {
        Present => ("present", "出勤", ["到课", "已签到", "签到"]),
        Late => ("late", "迟到", []),
        Absent => ("absent", "缺勤", ["缺课", "旷课", "未到"]),
        Leave => ("leave", "请假", ["已请假", "事假", "病假"]),
    }
}

impl AttendanceMark {
    /// Present and late both count as attended; leave and absence do not.
    pub fn attended(self) -> bool {
        matches!(self, AttendanceMark::Present | AttendanceMark::Late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labeled;

    fn codes<T: Labeled>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.code()).collect()
    }

    #[test]
    fn codes_are_the_api_contract() {
        assert_eq!(codes::<TeachingMode>(), ["lecture", "experience", "case", "site_visit", "discussion", "elective"]);
        assert_eq!(codes::<ClassLevel>(), ["province", "city", "county", "unit"]);
        assert_eq!(codes::<CampaignKind>(), ["rotation", "winter", "thematic"]);
        assert_eq!(codes::<SessionSlot>(), ["am", "pm", "evening"]);
        assert_eq!(codes::<EnrolmentStatus>(), ["enrolled", "waitlisted", "withdrawn", "completed"]);
        assert_eq!(codes::<AttendanceMark>(), ["present", "late", "absent", "leave"]);
    }

    #[test]
    fn labels_parse_back_and_serde_uses_codes() {
        assert_eq!(TeachingMode::parse_label("现场观摩"), Some(TeachingMode::SiteVisit));
        assert_eq!(ClassLevel::parse_label("省级示范班"), Some(ClassLevel::Province));
        assert_eq!(CampaignKind::from_code("winter"), Some(CampaignKind::Winter));
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            serde::de::IntoDeserializer::into_deserializer("evening");
        assert_eq!(<SessionSlot as serde::Deserialize>::deserialize(de), Ok(SessionSlot::Evening));
    }

    #[test]
    fn province_counts_as_city_level_but_county_does_not() {
        assert!(ClassLevel::Province.at_least(ClassLevel::City));
        assert!(ClassLevel::City.at_least(ClassLevel::City));
        assert!(!ClassLevel::County.at_least(ClassLevel::City));
        assert!(AttendanceMark::Late.attended());
        assert!(!AttendanceMark::Leave.attended());
    }
}
