//! The vendor's fixed value lists, with what each value means, so schemas can teach them
//! to the model. Meanings are our English glosses of the reference's labels.

use super::spec::Choice;

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

pub const CUSTOMER_MODES: &[Choice] = &[
    choice("all", "active and archived customers"),
    choice("company", "active professional customers only"),
    choice("individual", "active private individuals only"),
    choice("archived", "archived customers only"),
];

pub const CUSTOMER_ORDERS: &[Choice] = &[
    choice("last_invoice", "date of the customer's latest invoice"),
    choice("last_paid", "date of the customer's latest payment"),
    choice("created", "creation date"),
    choice("updated", "last modification date"),
];

pub const SORT_DIRECTIONS: &[Choice] = &[choice("asc", "ascending"), choice("desc", "descending")];
