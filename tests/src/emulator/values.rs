//! The closed value lists of the reference's "specific values" section: which codes a field
//! accepts. Payment labels are short French words, as they appear on the (French) PDFs; the
//! other labels only document the codes.

/// PDF languages.
pub(crate) const LANGUAGES: &[&str] = &["fr", "en", "es", "nl"];

/// ISO 4217 codes the service can invoice in.
pub(crate) const CURRENCIES: &[&str] = &[
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

/// How a sale (invoice, settlement) was paid; 0 means not paid.
pub(crate) const SALE_PAYMENT_MODES: &[(i64, &str)] = &[
    (0, "non payé"),
    (1, "PayPal"),
    (2, "carte bancaire"),
    (3, "virement"),
    (4, "chèque"),
    (5, "espèces"),
    (6, "CESU préfinancé"),
    (8, "prélèvement"),
    (9, "TIP"),
    (30, "ticket restaurant"),
    (31, "chèque cadeau"),
    (32, "chèque vacances"),
    (50, "LCR"),
    (51, "BOR"),
    (90, "avoir"),
    (99, "autre"),
    (999, "créance irrécouvrable"),
];

/// How a purchase was paid; 0 means not paid.
pub(crate) const PURCHASE_PAYMENT_MODES: &[(i64, &str)] = &[
    (0, "non payé"),
    (1, "PayPal"),
    (2, "carte bancaire"),
    (3, "virement"),
    (4, "chèque"),
    (5, "espèces"),
    (7, "compte courant d'associé"),
    (8, "prélèvement"),
    (9, "TIP"),
    (20, "crédit fournisseur"),
    (30, "ticket restaurant"),
    (31, "chèque cadeau"),
    (32, "chèque vacances"),
    (50, "LCR"),
    (51, "BOR"),
    (90, "avoir"),
    (99, "autre"),
];

/// Payment terms. Custom terms defined in the web settings cannot exist in the emulator.
pub(crate) const PAY_BEFORE: &[&str] = &[
    "0",
    "cash",
    "15",
    "30",
    "45",
    "60",
    "07fm",
    "30fm",
    "45fm",
    "00fm10",
    "00fm20",
    "30fm10",
    "30fm20",
    "15-inv",
    "30-inv",
    "45-inv",
    "60-inv",
    "07fm-inv",
    "30fm-inv",
    "45fm-inv",
    "00fm10-inv",
    "00fm20-inv",
    "30fm10-inv",
    "30fm20-inv",
];

/// Nature of a billed line, for micro-businesses' social contributions.
pub(crate) const NATURES: &[(i64, &str)] = &[
    (1, "sale of goods"),
    (2, "commercial or craft service"),
    (3, "non-commercial service"),
    (8, "disbursement"),
    (9, "not applicable"),
];

/// What a category applies to.
pub(crate) const CATEGORY_STATUSES: &[(i64, &str)] = &[
    (0, "sales and purchases"),
    (1, "sales only"),
    (2, "purchases only"),
];

/// What a followup applies to.
pub(crate) const FOLLOWUP_STATUSES: &[(i64, &str)] = &[
    (0, "quotes and invoices"),
    (1, "quotes only"),
    (2, "invoices only"),
];

/// Quote states.
pub(crate) const QUOTE_STATUSES: &[(i64, &str)] =
    &[(0, "pending"), (1, "accepted"), (9, "refused")];
pub(crate) const QUOTE_PENDING: i64 = 0;
pub(crate) const QUOTE_ACCEPTED: i64 = 1;
pub(crate) const QUOTE_REFUSED: i64 = 9;

/// Payment mode of a credit note's own settlement, as in the reference's refund example.
pub(crate) const PAID_OTHERWISE: i64 = 99;
/// Payment mode recorded on an invoice cancelled by a credit note.
pub(crate) const PAID_BY_CREDIT_NOTE: i64 = 90;

/// Formatting styles of a billed line; empty (or null) is an ordinary priced line.
pub(crate) const LINE_STYLES: &[&str] = &["", "comment", "title", "subtotal", "new_page"];

/// The label of a coded value, for documents.
pub(crate) fn label(table: &'static [(i64, &'static str)], code: i64) -> &'static str {
    table
        .iter()
        .find(|(value, _)| *value == code)
        .map_or("unknown", |(_, label)| label)
}
