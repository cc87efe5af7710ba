//! Demo materials (学习资料): a year of the city's and 岳阳楼区's speeches, documents, books
//! and videos, with texts to search, so that a new user finds the newest speeches offered
//! for a first agenda item and the full-text search answering 学习, 党建, 乡村振兴.

use chrono::{Days, NaiveDate};
use xuepei_domain::study::materials::MaterialInput;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, materials};

/// The city (its speeches are offered to its counties) and the demo county.
const CITY: &str = "430600";
const COUNTY: &str = "430602";

/// (organisation, title, kind, source, days ago, tags, text)
const ITEMS: &[(&str, &str, &str, &str, u64, &str, &str)] = &[
    (
        CITY,
        "在市委理论学习中心组专题学习会上的讲话",
        "speech",
        "岳阳日报",
        12,
        "理论学习中心组、第一议题",
        "深入学习贯彻习近平新时代中国特色社会主义思想，把第一议题制度落实落细。\n各级党委（党组）理论学习中心组要以上率下，做到学思用贯通、知信行统一。",
    ),
    (
        CITY,
        "在全市乡村振兴工作会议上的讲话",
        "speech",
        "市委办公室",
        40,
        "乡村振兴、党建引领",
        "全面推进乡村振兴，坚持党建引领，建强村党组织书记队伍。\n要把学习成果转化为推动乡村振兴的工作思路和政策措施。",
    ),
    (
        CITY,
        "在全市基层党建工作推进会上的讲话",
        "speech",
        "市委组织部",
        75,
        "基层党建",
        "抓好基层党建这个最大政绩，深化村（社区）党组织书记集中轮训。\n推动基层党组织全面进步、全面过硬。",
    ),
    (
        CITY,
        "在全市意识形态工作会议上的讲话",
        "speech",
        "市委宣传部",
        130,
        "意识形态",
        "牢牢掌握意识形态工作领导权，落实意识形态工作责任制。\n理论武装是意识形态工作的根本。",
    ),
    (
        CITY,
        "在长江经济带发展和洞庭湖生态保护座谈会上的讲话",
        "speech",
        "岳阳日报",
        200,
        "生态文明、长江经济带",
        "守护好一江碧水，推进洞庭湖生态保护和修复。\n坚持生态优先、绿色发展。",
    ),
    (
        COUNTY,
        "在区委常委会会议上传达学习全国两会精神时的讲话",
        "speech",
        "区委办公室",
        20,
        "两会精神、第一议题",
        "传达学习全国两会精神，结合岳阳楼区实际抓好贯彻落实。\n以学铸魂、以学增智、以学正风、以学促干。",
    ),
    (
        COUNTY,
        "在区委理论学习中心组学习研讨会上的讲话",
        "speech",
        "区委办公室",
        95,
        "理论学习中心组、调查研究",
        "大兴调查研究之风，把调研成果转化为解决问题的实际举措。\n中心组成员要联系分管工作交流发言。",
    ),
    (
        COUNTY,
        "关于进一步落实党委（党组）会议第一议题制度的通知",
        "document",
        "区委办公室",
        60,
        "第一议题",
        "各级党委（党组）会议第一议题须为学习习近平总书记最新重要讲话、重要指示批示精神。\n学习情况纳入年度意识形态工作考核。",
    ),
    (
        COUNTY,
        "岳阳楼区2026年理论学习中心组学习计划",
        "document",
        "区委宣传部",
        300,
        "理论学习中心组、学习计划",
        "全年集中学习研讨不少于12次，其中专题研讨不少于6次。\n每次学习由主要负责同志领学，班子成员结合分管工作发言。",
    ),
    (
        COUNTY,
        "关于开展领导干部“五学”活动的实施方案",
        "document",
        "区委宣传部",
        250,
        "五学、自学",
        "领导干部每月自学重要讲话不少于5篇，每年到学校讲课不少于2次。\n开展基层宣讲和交流互学。",
    ),
    (
        COUNTY,
        "习近平谈治国理政（第四卷）",
        "book",
        "外文出版社",
        330,
        "原著原文",
        "原原本本学、逐篇逐段学，做到学深悟透、融会贯通。",
    ),
    (
        COUNTY,
        "党史学习教育专题辅导报告（视频）",
        "video",
        "岳阳楼区融媒体中心",
        150,
        "党史学习教育",
        "党史学习教育专题辅导，学史明理、学史增信、学史崇德、学史力行。",
    ),
];

/// Adds the demo materials; returns a line for the console.
pub async fn seed_materials(db: &DatabaseConnection) -> Result<String, String> {
    let today = xuepei_domain::time::today();
    let tx = Tx::begin(db, &Scope::system(), &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let mut n = 0;
    for (org, title, kind, source, ago, tags, body) in ITEMS {
        let date: NaiveDate = today.checked_sub_days(Days::new(*ago)).unwrap_or(today);
        let input = MaterialInput {
            org: (*org).to_owned(),
            title: (*title).to_owned(),
            kind: (*kind).to_owned(),
            source: (*source).to_owned(),
            date: date.to_string(),
            body: (*body).to_owned(),
            tags: vec![(*tags).to_owned()],
        };
        materials::create(&tx, &input).await.map_err(|e| format!("演示学习资料“{title}”：{e}"))?;
        n += 1;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(format!(
        "演示学习资料：{n} 份（市委讲话由岳阳楼区在“第一议题”中选用；可在“全文检索”中检索“学习”“党建”“乡村振兴”）"
    ))
}
