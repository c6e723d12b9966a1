//! The vendor's fixed value lists, with what each value means, so schemas can teach them
//! to the model. Meanings are our English glosses of the reference's labels.

use crate::spec::Choice;

const fn choice(value: &'static str, meaning: &'static str) -> Choice {
    Choice { value, meaning }
}

pub const LANGUAGES: &[Choice] = &[
    choice("fr", "French"),
    choice("en", "English"),
    choice("es", "Spanish"),
    choice("nl", "Dutch"),
];

/// Currency codes the service accepts (ISO 4217, plus BTC). Listed without glosses: the codes
/// speak for themselves and the list is long.
pub const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "HKD", "CNY", "RUB", "ILS", "AFN",
    "MRO", "MGA", "THB", "PAB", "ETB", "BTC", "VEF", "BOB", "GHS", "CRC", "NIO", "DKK", "ISK",
    "NOK", "SEK", "CZK", "GMD", "MKD", "DZD", "BHD", "IQD", "JOD", "KWD", "LYD", "RSD", "TND",
    "AED", "MAD", "STD", "BSD", "BBD", "BMD", "BZD", "BND", "FJD", "SGD", "TTD", "XCD", "SBD",
    "KYD", "SRD", "GYD", "JMD", "LRD", "NAD", "VND", "AMD", "CVE", "AWG", "ANG", "HUF", "XAF",
    "XOF", "XPF", "DJF", "BIF", "KMF", "CDF", "GNF", "RWF", "HTG", "PYG", "UAH", "PGK", "LAK",
    "HRK", "MWK", "ZMW", "AOA", "MMK", "GEL", "ALL", "HNL", "SLL", "MDL", "RON", "BGN", "SZL",
    "TRY", "SHP", "GIP", "FKP", "LBP", "SDG", "SYP", "EGP", "LSL", "AZN", "BAM", "MZN", "NGN",
    "ERN", "BTN", "TWD", "TMT", "TOP", "MOP", "ARS", "CLP", "COP", "CUC", "CUP", "DOP", "MXN",
    "PHP", "UYU", "BWP", "GTQ", "ZAR", "IRR", "OMR", "KHR", "MYR", "QAR", "SAR", "YER", "BYN",
    "INR", "IDR", "MUR", "NPR", "PKR", "SCR", "LKR", "MVR", "BRL", "KES", "UGX", "SOS", "TZS",
    "PEN", "KGS", "TJS", "UZS", "BDT", "WST", "KZT", "MNT", "VUV", "KPW", "KRW", "PLN",
];

/// Standard payment terms. Firms may define their own codes, so this list documents rather
/// than restricts.
pub const PAY_BEFORE: &[Choice] = &[
    choice("0", "on receipt"),
    choice("cash", "cash"),
    choice("15", "15 days net from delivery"),
    choice("30", "30 days net from delivery"),
    choice("45", "45 days net from delivery"),
    choice("60", "60 days net from delivery"),
    choice("07fm", "7 days end of month from delivery"),
    choice("30fm", "30 days end of month from delivery"),
    choice("45fm", "45 days end of month from delivery"),
    choice("00fm10", "end of month, on the 10th, from delivery"),
    choice("00fm20", "end of month, on the 20th, from delivery"),
    choice("30fm10", "30 days end of month, on the 10th, from delivery"),
    choice("30fm20", "30 days end of month, on the 20th, from delivery"),
    choice("15-inv", "15 days net from invoicing"),
    choice("30-inv", "30 days net from invoicing"),
    choice("45-inv", "45 days net from invoicing"),
    choice("60-inv", "60 days net from invoicing"),
    choice("07fm-inv", "7 days end of month from invoicing"),
    choice("30fm-inv", "30 days end of month from invoicing"),
    choice("45fm-inv", "45 days end of month from invoicing"),
    choice("00fm10-inv", "end of month, on the 10th, from invoicing"),
    choice("00fm20-inv", "end of month, on the 20th, from invoicing"),
    choice(
        "30fm10-inv",
        "30 days end of month, on the 10th, from invoicing",
    ),
    choice(
        "30fm20-inv",
        "30 days end of month, on the 20th, from invoicing",
    ),
];

/// How a sale was paid.
pub const SALE_PAYMENT_MODES: &[Choice] = &[
    choice("0", "not paid"),
    choice("1", "PayPal"),
    choice("2", "card"),
    choice("3", "bank transfer"),
    choice("4", "cheque"),
    choice("5", "cash"),
    choice("6", "prepaid CESU"),
    choice("8", "direct debit"),
    choice("9", "TIP interbank payment order"),
    choice("30", "meal voucher"),
    choice("31", "gift cheque"),
    choice("32", "holiday cheque"),
    choice("50", "LCR bill of exchange"),
    choice("51", "BOR promissory note"),
    choice("90", "credit note"),
    choice("99", "other"),
    choice("999", "irrecoverable debt"),
];

/// How a purchase was paid; not quite the sales list.
pub const PURCHASE_PAYMENT_MODES: &[Choice] = &[
    choice("0", "not paid"),
    choice("1", "PayPal"),
    choice("2", "card"),
    choice("3", "bank transfer"),
    choice("4", "cheque"),
    choice("5", "cash"),
    choice("7", "partner's current account"),
    choice("8", "direct debit"),
    choice("9", "TIP interbank payment order"),
    choice("20", "supplier credit"),
    choice("30", "meal voucher"),
    choice("31", "gift cheque"),
    choice("32", "holiday cheque"),
    choice("50", "LCR bill of exchange"),
    choice("51", "BOR promissory note"),
    choice("90", "credit note"),
    choice("99", "other"),
];

/// What a document line bills, for micro-entrepreneurs' social contributions.
pub const NATURES: &[Choice] = &[
    choice("1", "sale of goods"),
    choice("2", "BIC commercial or craft service"),
    choice("3", "BNC non-commercial service"),
    choice("8", "disbursement"),
    choice("9", "not applicable"),
];

pub const QUOTE_STATUSES: &[Choice] = &[
    choice("0", "pending"),
    choice("1", "accepted"),
    choice("9", "refused"),
];

pub const CATEGORY_STATUSES: &[Choice] = &[
    choice("0", "purchases and sales"),
    choice("1", "sales only"),
    choice("2", "purchases only"),
];

pub const FOLLOWUP_STATUSES: &[Choice] = &[
    choice("0", "quotes and invoices"),
    choice("1", "quotes only"),
    choice("2", "invoices only"),
];

pub const LINE_STYLES: &[Choice] = &[
    choice("comment", "comment line"),
    choice("title", "title line, in bold"),
    choice("subtotal", "subtotal line"),
    choice("new_page", "page break"),
];

pub const QUOTE_FILTER_STATUSES: &[Choice] = &[
    choice("pending", "open: pending or accepted, not fully invoiced"),
    choice("to_invoice", "accepted and not fully invoiced"),
    choice("invoiced", "fully invoiced"),
    choice("0", "pending"),
    choice("1", "accepted"),
    choice("9", "refused"),
];

pub const BILL_TYPES: &[Choice] = &[
    choice("paid", ""),
    choice("unpaid", ""),
    choice("term", "overdue, to chase"),
    choice("invoice", ""),
    choice("external", "made in another tool"),
    choice("refund", "credit notes (avoirs)"),
    choice("down_payment", ""),
    choice("draft", ""),
    choice("notes", "internal notes"),
    choice("nova", ""),
];

pub const PURCHASE_TYPES: &[Choice] = &[
    choice("pending", ""),
    choice("draft", ""),
    choice("unpaid", ""),
    choice("paid", ""),
    choice("prepaid", ""),
    choice("excluded", "left out of accounting exports"),
    choice("forecast", ""),
];

pub const PERIOD_TYPES: &[Choice] = &[choice(
    "billed",
    "filter on billing dates instead of payment dates",
)];

/// `type_doc` when creating an invoice: only a draft needs saying.
pub const NEW_INVOICE_DOC_TYPES: &[Choice] =
    &[choice("draft", "no number yet, all editable, deletable")];

/// `type_doc` when updating an invoice.
pub const INVOICE_DOC_TYPES: &[Choice] = &[
    choice("draft", "stay a draft"),
    choice(
        "final",
        "finalise: numbered and locked for good (irreversible)",
    ),
];

pub const CUSTOMER_MODES: &[Choice] = &[
    choice("all", "active and archived customers"),
    choice("company", "active professional customers only"),
    choice("individual", "active private individuals only"),
    choice("archived", "archived customers only"),
];

// An empty meaning marks a value plain enough to need no gloss.

pub const SORT_DIRECTIONS: &[Choice] = &[choice("asc", ""), choice("desc", "")];

pub const CUSTOMER_ORDERS: &[Choice] = &[
    choice("last_invoice", "date of the customer's latest invoice"),
    choice("last_paid", "date of the customer's latest payment"),
    choice("created", ""),
    choice("updated", ""),
];

pub const QUOTE_ORDERS: &[Choice] = &[
    choice("customer", ""),
    choice("total", ""),
    choice("billed", "quote date"),
    choice("created", ""),
    choice("updated", ""),
];

pub const INVOICE_ORDERS: &[Choice] = &[
    choice("customer", ""),
    choice("paid", "payment date"),
    choice("total", ""),
    choice("billed", "invoice date"),
    choice("term", "due date"),
    choice("created", ""),
    choice("updated", ""),
];

pub const PURCHASE_ORDERS: &[Choice] = &[
    choice("paid", "payment date"),
    choice("total", ""),
    choice("term", "due date"),
    choice("created", ""),
    choice("updated", ""),
];

pub const FILE_ORDERS: &[Choice] = &[
    choice("title", "file name"),
    choice("size", ""),
    choice("updated", ""),
    choice("created", ""),
];

pub const CREATED_UPDATED_ORDERS: &[Choice] = &[choice("created", ""), choice("updated", "")];

pub const PRODUCT_ORDERS: &[Choice] = &[
    choice("ref", ""),
    choice("created", ""),
    choice("updated", ""),
];

/// The values of one list: glossed choices, or bare codes.
#[derive(Clone, Copy)]
pub enum ListValues {
    Choices(&'static [Choice]),
    Codes(&'static [&'static str]),
}

/// A fixed value list of the reference as the server publishes it: readable as a resource
/// (`facturation-pro://values/{slug}`), so a client can show it or attach it to a
/// conversation without the model calling a tool.
pub struct ValueList {
    pub slug: &'static str,
    pub title: &'static str,
    /// Which fields take these values.
    pub used_by: &'static str,
    pub values: ListValues,
}

const fn list(
    slug: &'static str,
    title: &'static str,
    used_by: &'static str,
    values: ListValues,
) -> ValueList {
    ValueList {
        slug,
        title,
        used_by,
        values,
    }
}

pub const VALUE_LISTS: &[ValueList] = &[
    list(
        "currencies",
        "Currencies",
        "`currency` of customers, quotes, invoices and purchases (ISO 4217 codes, plus BTC)",
        ListValues::Codes(CURRENCIES),
    ),
    list(
        "languages",
        "Document languages",
        "`language` of customers, quotes and invoices: the language of the PDF",
        ListValues::Choices(LANGUAGES),
    ),
    list(
        "payment-terms",
        "Payment terms (pay_before)",
        "`pay_before` of customers, quotes and invoices; firms may add their own codes",
        ListValues::Choices(PAY_BEFORE),
    ),
    list(
        "sale-payment-modes",
        "Payment modes of sales",
        "`payment_mode` of invoices and settlements (règlements)",
        ListValues::Choices(SALE_PAYMENT_MODES),
    ),
    list(
        "purchase-payment-modes",
        "Payment modes of purchases",
        "`payment_mode` of purchases",
        ListValues::Choices(PURCHASE_PAYMENT_MODES),
    ),
    list(
        "quote-statuses",
        "Quote statuses",
        "`quote_status` of quotes (devis)",
        ListValues::Choices(QUOTE_STATUSES),
    ),
    list(
        "quote-filters",
        "Quote list filters",
        "`status` filter of list_quotes",
        ListValues::Choices(QUOTE_FILTER_STATUSES),
    ),
    list(
        "invoice-filters",
        "Invoice list filters",
        "`bill_type` filter of list_invoices: payment state and kind of invoice",
        ListValues::Choices(BILL_TYPES),
    ),
    list(
        "purchase-filters",
        "Purchase list filters",
        "`purchase_type` filter of list_purchases: payment state",
        ListValues::Choices(PURCHASE_TYPES),
    ),
    list(
        "invoice-document-types",
        "Invoice document types",
        "`type_doc` of create_invoice and update_invoice",
        ListValues::Choices(INVOICE_DOC_TYPES),
    ),
    list(
        "natures",
        "Natures of billing",
        "`nature` of products and document lines, for micro-entrepreneurs",
        ListValues::Choices(NATURES),
    ),
    list(
        "line-styles",
        "Line styles",
        "`style` of document lines; omitted for a normal line",
        ListValues::Choices(LINE_STYLES),
    ),
    list(
        "category-statuses",
        "Category uses",
        "`status` of categories: what they classify",
        ListValues::Choices(CATEGORY_STATUSES),
    ),
    list(
        "followup-statuses",
        "Follow-up stage uses",
        "`status` of follow-up stages: which documents they apply to",
        ListValues::Choices(FOLLOWUP_STATUSES),
    ),
    list(
        "customer-modes",
        "Customer list modes",
        "`mode` filter of list_customers",
        ListValues::Choices(CUSTOMER_MODES),
    ),
];
