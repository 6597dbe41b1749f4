"""The standard risk tolerance questionnaire, version 1, published, in English and Simplified
Chinese; and the role groups' permissions on the risk models."""

from django.db import migrations
from django.utils import timezone

from crm.roles import role_permissions_sync

TITLE = ("Standard risk tolerance questionnaire", "标准风险承受能力评估问卷")
INTRO = (
    "Please answer each question as it applies to you today. There are no right or wrong answers; "
    "your answers decide which investment products suit you.",
    "请根据您目前的实际情况回答每个问题。答案没有对错之分，评估结果将决定哪些投资产品适合您。",
)

# key, English, Chinese, [(option key, English, Chinese, score)]
QUESTIONS = [
    ("age", "What is your age?", "您的年龄是？", [
        ("under_30", "Under 30", "30岁以下", 4),
        ("30_45", "30 to 45", "30至45岁", 5),
        ("46_55", "46 to 55", "46至55岁", 3),
        ("56_65", "56 to 65", "56至65岁", 2),
        ("over_65", "Over 65", "65岁以上", 1),
    ]),
    ("income", "How stable is your income?", "您的收入来源稳定吗？", [
        ("none", "I have no regular income", "没有固定收入", 1),
        ("irregular", "Irregular (e.g. commission or seasonal work)", "不稳定（如佣金或季节性收入）", 2),
        ("fairly_stable", "Fairly stable", "比较稳定", 3),
        ("very_stable", "Very stable (e.g. salary, pension, rent)", "非常稳定（如工资、退休金、租金收入）", 4),
    ]),
    ("share_of_assets", "What share of your total assets (property included) would this investment be?",
     "本次投资金额占您总资产（含房产）的比例是？", [
        ("over_50", "More than 50 %", "50%以上", 1),
        ("30_50", "30 % to 50 %", "30%至50%", 2),
        ("10_30", "10 % to 30 %", "10%至30%", 3),
        ("under_10", "Less than 10 %", "10%以下", 4),
    ]),
    ("experience", "How long have you invested in stocks, funds, bonds or similar products?",
     "您投资股票、基金、债券等产品的经验有多长？", [
        ("none", "Never", "没有经验", 1),
        ("under_2", "Less than 2 years", "2年以下", 2),
        ("2_5", "2 to 5 years", "2至5年", 3),
        ("5_10", "5 to 10 years", "5至10年", 4),
        ("over_10", "More than 10 years", "10年以上", 5),
    ]),
    ("horizon", "How long do you plan to keep this money invested?", "您计划的投资期限是多长？", [
        ("under_1", "Less than 1 year", "1年以内", 1),
        ("1_3", "1 to 3 years", "1至3年", 2),
        ("3_5", "3 to 5 years", "3至5年", 3),
        ("over_5", "More than 5 years", "5年以上", 4),
    ]),
    ("objective", "What is your main investment objective?", "您的主要投资目标是？", [
        ("preserve", "Preserve my capital; low returns are fine", "保本为主，可接受较低收益", 1),
        ("income", "A steady income", "获得稳定收益", 2),
        ("balanced", "A balance of income and growth", "收益与增长兼顾", 3),
        ("growth", "Long-term growth of my wealth", "长期资产增值", 4),
        ("maximise", "The highest returns, accepting large swings", "追求高收益，可承受大幅波动", 5),
    ]),
    ("loss_reaction", "If your investments fell 20 % within a few months, what would you most likely do?",
     "如果您的投资在几个月内下跌20%，您最可能怎么做？", [
        ("sell_all", "Sell everything to avoid further losses", "全部卖出，避免进一步损失", 1),
        ("sell_part", "Sell part of them", "卖出一部分", 2),
        ("hold", "Hold and wait for a recovery", "继续持有，等待回升", 3),
        ("buy_more", "Buy more at the lower price", "逢低加仓", 4),
    ]),
    ("liquidity", "How much of this money might you need to withdraw within the next year?",
     "未来一年内，您可能需要动用这笔资金的多少？", [
        ("most", "Most or all of it", "大部分或全部", 1),
        ("half", "About half", "大约一半", 2),
        ("small", "A small part", "一小部分", 3),
        ("none", "None", "不需要动用", 4),
    ]),
    ("knowledge", "How would you describe your knowledge of investment products?",
     "您如何评价自己的投资产品知识？", [
        ("limited", "Very limited", "了解很少", 1),
        ("basic", "Basic: deposits and wealth-management products", "基本了解：存款和银行理财产品", 2),
        ("good", "Good: funds, bonds and stocks", "比较了解：基金、债券和股票", 3),
        ("advanced", "Advanced: derivatives, structured products, leverage", "非常了解：衍生品、结构性产品、杠杆", 4),
    ]),
    ("max_loss", "What is the largest loss over one year you could accept?", "您一年内能接受的最大亏损是多少？", [
        ("none", "No loss at all", "不能接受任何亏损", 1),
        ("up_to_5", "Up to 5 %", "5%以内", 2),
        ("5_10", "5 % to 10 %", "5%至10%", 3),
        ("10_20", "10 % to 20 %", "10%至20%", 4),
        ("over_20", "More than 20 %", "20%以上", 5),
    ]),
]

# Scores run from 10 to 44.
BANDS = [("C1", 10, 16), ("C2", 17, 23), ("C3", 24, 30), ("C4", 31, 37), ("C5", 38, 44)]

# (question, option), (question, option), English, Chinese
RULES = [
    (("horizon", "under_1"), ("objective", "growth"),
     "The horizon is under one year, but the objective is long-term growth.",
     "投资期限不足1年，但投资目标为长期资产增值。"),
    (("horizon", "under_1"), ("objective", "maximise"),
     "The horizon is under one year, but the objective is the highest returns with large swings.",
     "投资期限不足1年，却追求高收益并接受大幅波动。"),
    (("liquidity", "most"), ("horizon", "over_5"),
     "Most of the money may be needed within a year, but the horizon is over five years.",
     "一年内可能需要动用大部分资金，但投资期限为5年以上。"),
    (("loss_reaction", "sell_all"), ("max_loss", "over_20"),
     "Would sell everything after a 20 % fall, yet accepts a loss of more than 20 %.",
     "下跌20%时会全部卖出，却表示能接受20%以上的亏损。"),
    (("max_loss", "none"), ("objective", "maximise"),
     "Accepts no loss at all, yet seeks the highest returns with large swings.",
     "不能接受任何亏损，却追求高收益并接受大幅波动。"),
    (("max_loss", "none"), ("loss_reaction", "buy_more"),
     "Accepts no loss at all, yet would buy more after a 20 % fall.",
     "不能接受任何亏损，却会在下跌20%时加仓。"),
    (("experience", "none"), ("knowledge", "advanced"),
     "No investment experience, yet advanced knowledge of complex products.",
     "没有投资经验，却表示非常了解复杂产品。"),
]


def standard_questionnaire_create(apps, schema_editor):
    Questionnaire = apps.get_model("risk", "Questionnaire")
    Version = apps.get_model("risk", "QuestionnaireVersion")
    Question = apps.get_model("risk", "Question")
    Option = apps.get_model("risk", "Option")
    ScoreBand = apps.get_model("risk", "ScoreBand")
    ConsistencyRule = apps.get_model("risk", "ConsistencyRule")
    if Questionnaire.objects.filter(code="standard").exists():
        return
    questionnaire = Questionnaire.objects.create(code="standard", title_en=TITLE[0], title_zh=TITLE[1],
                                                 is_default=not Questionnaire.objects.filter(is_default=True).exists())
    now = timezone.now()
    version = Version.objects.create(questionnaire=questionnaire, number=1, status="published", published_at=now,
                                     validity_months=12, intro_en=INTRO[0], intro_zh=INTRO[1], created_at=now)
    options = {}
    for position, (key, english, chinese, choices) in enumerate(QUESTIONS, start=1):
        question = Question.objects.create(version=version, position=position, key=key, text_en=english,
                                           text_zh=chinese)
        for option_position, (option_key, option_en, option_zh, score) in enumerate(choices, start=1):
            options[key, option_key] = Option.objects.create(
                question=question, position=option_position, key=option_key, text_en=option_en, text_zh=option_zh,
                score=score)
    ScoreBand.objects.bulk_create([ScoreBand(version=version, level=level, min_score=low, max_score=high)
                                   for level, low, high in BANDS])
    ConsistencyRule.objects.bulk_create([
        ConsistencyRule(version=version, first_option=options[first], second_option=options[second],
                        message_en=english, message_zh=chinese)
        for first, second, english, chinese in RULES])


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial"), ("crm", "0002_roles_and_tier_thresholds")]

    operations = [
        migrations.RunPython(standard_questionnaire_create, migrations.RunPython.noop),
        migrations.RunPython(role_permissions_sync, migrations.RunPython.noop),
    ]
