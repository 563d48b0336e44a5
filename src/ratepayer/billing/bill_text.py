"""Customer-facing words on bills and e-bill mails, in English, Spanish and Russian.

Kept as a Python catalogue rather than gettext .po files: bills are the only
customer documents billing prints, the strings are few, and a fresh machine
needs no msgfmt step to render a Spanish or Russian bill. The keys are the
English phrases' names; ``text_for(language)`` falls back to English for any
key a translation lacks, so a missing word never breaks a bill run."""

from __future__ import annotations

from datetime import date

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "bill_title": "Utility bill",
        "account_number": "Account number",
        "bill_date": "Bill date",
        "due_date": "Due date",
        "amount_due": "Amount due",
        "service_address": "Service address",
        "billing_period": "Billing period",
        "account_summary": "Account summary",
        "previous_balance": "Previous balance",
        "current_charges": "Current charges",
        "total_amount_due": "Total amount due",
        "charges_by_service": "Current charges by service",
        "description": "Description",
        "quantity": "Quantity",
        "rate": "Rate",
        "amount": "Amount",
        "meter": "Meter",
        "read_type": "Read",
        "usage": "Usage",
        "source_register": "from register reads",
        "source_interval": "from interval data",
        "days": "days",
        "usage_history": "Your usage over 13 months",
        "usage_caption": "{month}: {quantity} {unit} · {months}-month average: {average} {unit}",
        "messages": "Messages",
        "service_total": "Total",
        "remit_title": "Please return this portion with your payment",
        "amount_enclosed": "Amount enclosed",
        "make_checks": "Make checks payable to",
        "pay_by": "Pay by",
        "corrected_bill": "Corrected bill: replaces bill {number} of {date}.",
        "estimated_note": "{service} usage was estimated; your next actual read will true it up.",
        "credit_balance": "Credit balance — do not pay",
        "electric": "Electric", "water": "Water", "sewer": "Sewer", "stormwater": "Stormwater", "refuse": "Refuse",
        "actual": "actual", "estimated": "estimated", "customer": "customer read", "final": "final",
        "flat": "not metered",
        "email_subject": "Your {utility} bill for {period} — {amount} due {due}",
        "email_body": "Hello {name},\n\nYour bill for account {account} is attached.\nAmount due: {amount}, "
                      "due {due}.\n\nThank you,\n{utility}",
    },
    "es": {
        "bill_title": "Factura de servicios públicos",
        "account_number": "Número de cuenta",
        "bill_date": "Fecha de factura",
        "due_date": "Fecha de vencimiento",
        "amount_due": "Importe a pagar",
        "service_address": "Dirección del servicio",
        "billing_period": "Período de facturación",
        "account_summary": "Resumen de la cuenta",
        "previous_balance": "Saldo anterior",
        "current_charges": "Cargos actuales",
        "total_amount_due": "Total a pagar",
        "charges_by_service": "Cargos actuales por servicio",
        "description": "Descripción",
        "quantity": "Cantidad",
        "rate": "Tarifa",
        "amount": "Importe",
        "meter": "Medidor",
        "read_type": "Lectura",
        "usage": "Consumo",
        "source_register": "según lecturas del registro",
        "source_interval": "según datos por intervalos",
        "days": "días",
        "usage_history": "Su consumo en 13 meses",
        "usage_caption": "{month}: {quantity} {unit} · promedio de {months} meses: {average} {unit}",
        "messages": "Mensajes",
        "service_total": "Total",
        "remit_title": "Devuelva esta parte con su pago",
        "amount_enclosed": "Importe adjunto",
        "make_checks": "Cheques a nombre de",
        "pay_by": "Pague antes del",
        "corrected_bill": "Factura corregida: reemplaza la factura {number} del {date}.",
        "estimated_note": "El consumo de {service} fue estimado; su próxima lectura real lo ajustará.",
        "credit_balance": "Saldo a favor — no pague",
        "electric": "Electricidad", "water": "Agua", "sewer": "Alcantarillado", "stormwater": "Aguas pluviales",
        "refuse": "Basura",
        "actual": "real", "estimated": "estimada", "customer": "del cliente", "final": "final",
        "flat": "sin medidor",
        "email_subject": "Su factura de {utility} de {period} — {amount} vence el {due}",
        "email_body": "Hola {name}:\n\nAdjuntamos la factura de la cuenta {account}.\nImporte a pagar: {amount}, "
                      "vence el {due}.\n\nGracias,\n{utility}",
    },
    "ru": {
        "bill_title": "Счёт за коммунальные услуги",
        "account_number": "Номер лицевого счёта",
        "bill_date": "Дата счёта",
        "due_date": "Оплатить до",
        "amount_due": "К оплате",
        "service_address": "Адрес обслуживания",
        "billing_period": "Расчётный период",
        "account_summary": "Сводка по счёту",
        "previous_balance": "Предыдущий остаток",
        "current_charges": "Текущие начисления",
        "total_amount_due": "Итого к оплате",
        "charges_by_service": "Текущие начисления по услугам",
        "description": "Описание",
        "quantity": "Количество",
        "rate": "Тариф",
        "amount": "Сумма",
        "meter": "Счётчик",
        "read_type": "Показание",
        "usage": "Потребление",
        "source_register": "по показаниям счётчика",
        "source_interval": "по интервальным данным",
        "days": "дн.",
        "usage_history": "Ваше потребление за 13 месяцев",
        "usage_caption": "{month}: {quantity} {unit} · в среднем за {months} мес.: {average} {unit}",
        "messages": "Сообщения",
        "service_total": "Итого",
        "remit_title": "Верните эту часть вместе с оплатой",
        "amount_enclosed": "Вложенная сумма",
        "make_checks": "Чеки выписывать на имя",
        "pay_by": "Оплатить до",
        "corrected_bill": "Исправленный счёт: заменяет счёт {number} от {date}.",
        "estimated_note": "Потребление ({service}) рассчитано по оценке; следующее фактическое показание его уточнит.",
        "credit_balance": "Переплата — оплачивать не нужно",
        "electric": "Электроэнергия", "water": "Вода", "sewer": "Канализация", "stormwater": "Ливневая канализация",
        "refuse": "Вывоз мусора",
        "actual": "фактическое", "estimated": "оценочное", "customer": "клиента", "final": "конечное",
        "flat": "без счётчика",
        "email_subject": "Счёт {utility} за {period} — {amount}, оплатить до {due}",
        "email_body": "Здравствуйте, {name}!\n\nСчёт по лицевому счёту {account} во вложении.\nК оплате: {amount}, "
                      "до {due}.\n\nС уважением,\n{utility}",
    },
}

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
    "ru": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}


def text_for(language: str) -> dict[str, str]:
    merged = dict(CATALOGUE["en"])
    merged.update(CATALOGUE.get(language, {}))
    return merged


def format_date(day: date, language: str) -> str:
    if language == "en":
        return f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_amount(amount, language: str) -> str:
    text = f"{abs(amount):,.2f}"
    if language in ("es", "ru"):
        text = text.replace(",", " ").replace(".", ",")
    return ("-" if amount < 0 else "") + "$" + text


def format_quantity(quantity, language: str) -> str:
    """Usage as printed: whole units from 10 up, else up to two decimals;
    thousands grouped the customer's way."""
    places = 0 if abs(quantity) >= 10 else 2
    text = f"{quantity:,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    if language in ("es", "ru"):
        text = text.replace(",", " ").replace(".", ",")
    return text
