//! Record field tables, after the reference's "Liste des champs" sections: name, type,
//! whether a client may write it, and what it means. Records that share columns (customers
//! and suppliers, quotes and invoices) are built from shared groups rather than copies.

use crate::spec::{Field, FieldType, FieldType::*, Fields};
use crate::values::*;

const fn rw(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
        writable: true,
    }
}

const fn ro(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
        writable: false,
    }
}

const TEXT: FieldType = Text(Some(255));

// Descriptions several records share, written once.
const LATE_PENALTY: &str = "Late payment penalty rate, percent";
const EARLY_DISCOUNT: &str = "Early payment discount rate, percent";
const VAT_RATE: &str = "A fraction: 0.2 for 20%, 0.055 for 5.5%";
const VAT_COUNTRY: &str = "Country whose VAT rates apply";
const VAT_EXEMPTION: &str = "Reason, printed on documents";
const NATURE: &str = "For micro-entrepreneurs";
const SAP_NATURE: &str = "Activity code, services à la personne";
const FIRM_EMAIL_SETTINGS: &str = "The firm's email settings when omitted";

/// The standard `pay_before` codes, in few words; a test checks it names every code of
/// `PAY_BEFORE` (firms may add their own, so the list documents rather than restricts).
const PAYMENT_TERMS: &str = "Payment terms code: 0 on receipt, cash; 15, 30, 45, 60 days net; \
    07fm, 30fm, 45fm days end of month; 00fm10, 00fm20 end of month on the 10th/20th; \
    30fm10, 30fm20 30 days end of month on the 10th/20th; counted from delivery, or from the \
    invoice date with -inv appended (30-inv, 30fm-inv...)";

const ID: &[Field] = &[ro("id", Positive, "")];

const TIMESTAMPS: &[Field] = &[
    ro("created_at", DateTime, "Creation time"),
    ro("updated_at", DateTime, "Last modification time"),
];

const SOFT_DELETE: &[Field] = &[
    ro("soft_deleted", Boolean, "Marked for deletion"),
    ro(
        "hard_delete_on",
        Date,
        "Date the record will be deleted for good",
    ),
];

const API_REFERENCES: &[Field] = &[
    rw("api_id", Integer, "Your own numeric reference"),
    rw("api_custom", TEXT, "Your own text"),
];

const FREE_FIELDS: &[Field] = &[
    rw("field1", TEXT, ""),
    rw("field2", TEXT, ""),
    rw("field3", TEXT, ""),
    rw("field4", TEXT, ""),
    rw("field5", TEXT, ""),
];

pub const ACCOUNT: Fields = &[&[
    ro("id", Integer, "User account id"),
    ro("email", Text(None), "Login email of the account"),
    ro(
        "firms",
        List,
        "Firms this API key can work on: `id` (use as firm_id) and `name`",
    ),
]];

/// Identity and address columns that customers and suppliers share.
const PARTY: &[Field] = &[
    rw(
        "company_name",
        TEXT,
        "From first and last name when omitted",
    ),
    rw("civility", TEXT, "M., Mme..."),
    rw("first_name", TEXT, "Contact's"),
    rw("last_name", TEXT, "Contact's"),
    rw("short_name", TEXT, "Used to sort and find the record"),
    rw("street", TEXT, ""),
    rw("city", TEXT, ""),
    rw("zip_code", Text(Some(20)), ""),
    rw("country", Country, "ISO 3166 code: FR, BE, CH..."),
    rw("phone", TEXT, ""),
    rw("fax", TEXT, ""),
    rw("email", Text(None), ""),
    rw("mobile", TEXT, ""),
    rw("website", TEXT, ""),
    rw("notes", Text(None), "Never printed"),
    rw("vat_number", Text(Some(30)), "Intra-EU"),
    rw("siret", Text(Some(100)), ""),
    rw("category_id", Positive, ""),
    rw(
        "account_code",
        Text(Some(11)),
        "Ledger account, e.g. 411ACME",
    ),
    rw("accounting_entry", Text(Some(8)), "Default entry code"),
    rw("sepa_iban", Text(None), "Administrator's key only"),
    rw("sepa_bic", Text(None), "Administrator's key only"),
];

const CUSTOMER_ONLY: &[Field] = &[
    rw(
        "sepa_rum",
        Text(None),
        "Mandate reference (RUM); administrator's key only",
    ),
    rw("sepa_signature_on", Date, "Administrator's key only"),
    rw("individual", Boolean, "A private person, not a business"),
    rw("reference", TEXT, ""),
    rw("penalty", Number, LATE_PENALTY),
    rw("discount", Number, EARLY_DISCOUNT),
    rw("pay_before", Suggested(PAY_BEFORE), PAYMENT_TERMS),
    rw("validity", Integer, "Of quotes, in days"),
    rw("currency", Currency, "ISO 4217 code; EUR when omitted"),
    rw("language", OneOf(LANGUAGES), "Of the PDFs"),
    rw("default_vat", Number, "Percent"),
    rw("vat_country", Text(Some(3)), VAT_COUNTRY),
    rw("vat_exemption", TEXT, VAT_EXEMPTION),
    rw("invoice_email", Text(None), "Where invoices are sent"),
    ro("last_invoiced_on", Date, "Date of the latest invoice"),
    ro("last_paid_on", Date, "Date of the latest payment"),
];

pub const CUSTOMER: Fields = &[
    ID,
    PARTY,
    CUSTOMER_ONLY,
    API_REFERENCES,
    FREE_FIELDS,
    TIMESTAMPS,
    SOFT_DELETE,
];

pub const SUPPLIER: Fields = &[
    ID,
    PARTY,
    &[rw(
        "reverse_charge",
        Boolean,
        "Reverse-charge VAT (autoliquidation)",
    )],
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

pub const CATEGORY: Fields = &[
    ID,
    &[
        rw("title", TEXT, ""),
        rw("status", IntOneOf(CATEGORY_STATUSES), "Applies to"),
    ],
    TIMESTAMPS,
];

pub const FOLLOWUP: Fields = &[
    ID,
    &[
        rw("title", TEXT, ""),
        rw("status", IntOneOf(FOLLOWUP_STATUSES), "Applies to"),
    ],
    TIMESTAMPS,
];

pub const PRODUCT: Fields = &[
    ID,
    &[
        rw("ref", TEXT, ""),
        rw("title", Text(None), "Label on documents"),
        rw("unit_price", Number, "Before tax (HT)"),
        rw("vat", Number, VAT_RATE),
        rw("measure", Text(Some(32)), "Unit: day, hour, kg..."),
        rw("sap_nature", Integer, SAP_NATURE),
        rw("nature", IntOneOf(NATURES), NATURE),
        rw("category_id", Positive, ""),
        rw("notes", Text(None), "Never printed"),
    ],
    FREE_FIELDS,
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

/// The columns of one document line (`items` of a quote or invoice).
pub const LINE: &[Field] = &[
    rw(
        "id",
        Positive,
        "An existing line's, to change or remove it; omit to add a line",
    ),
    rw("title", Text(None), ""),
    rw("quantity", Number, ""),
    rw("unit_price", Number, "Before tax (HT)"),
    rw("vat", Number, VAT_RATE),
    rw("measure", Text(Some(32)), "Unit: day, hour..."),
    rw("product_id", Positive, ""),
    rw("position", Positive, ""),
    rw("optional", Boolean, "Quotes: left out of the total"),
    rw("style", OneOf(LINE_STYLES), "Omit for a normal line"),
    rw("nature", IntOneOf(NATURES), NATURE),
    rw("sap_nature", Integer, SAP_NATURE),
    rw("_destroy", Boolean, "With id: remove that line"),
    ro(
        "total",
        Number,
        "Line total before tax, computed by the service",
    ),
];

/// Columns quotes and invoices share.
const SALES_DOCUMENT: &[Field] = &[
    rw("customer_id", Positive, ""),
    ro("customer_identity", Text(None), "Customer name"),
    rw("title", TEXT, "Subject"),
    rw("language", OneOf(LANGUAGES), "Of the PDF"),
    rw("category_id", Positive, ""),
    rw(
        "followup_id",
        Integer,
        "Follow-up stage; 0 in progress, -1 done",
    ),
    rw("invoiced_on", Date, "Document date"),
    rw("term_on", Date, "Due date; for quotes, end of validity"),
    ro("draft", Boolean, "Still a draft"),
    ro(
        "total",
        Number,
        "Total before tax (HT), computed from the lines",
    ),
    ro(
        "total_with_vat",
        Number,
        "Total with tax (TTC), computed from the lines",
    ),
    rw("currency", Currency, "ISO 4217 code"),
    rw("rebate_percentage", Number, "Global discount, percent"),
    rw("vat_exemption", TEXT, VAT_EXEMPTION),
    rw("vat_country", Text(Some(2)), VAT_COUNTRY),
    rw("tax_title", TEXT, "An extra tax on the total before tax"),
    rw("tax_percent", Number, "That tax's rate, percent"),
    rw("penalty", Number, LATE_PENALTY),
    rw("pay_before", Suggested(PAY_BEFORE), PAYMENT_TERMS),
    rw("discount", Number, EARLY_DISCOUNT),
    rw("precompte", Boolean, "Contributions withheld at source"),
    rw("activity_title", TEXT, "Nature of the activity"),
    rw("service_personne", Boolean, "Service à la personne"),
    rw("accounting_entry", Text(Some(8)), ""),
    rw("information", Text(None), "Printed on the document"),
    rw("internal_note", Text(None), "Never printed"),
    rw(
        "purchase_number",
        Text(Some(100)),
        "Customer's order number",
    ),
    rw("user_id", Positive, "Colleague in charge"),
    rw("delivery_on", Date, "Delivery or completion date"),
    ro("public_download_url", Text(None), "Public download link"),
    rw("items", Lines(LINE), ""),
    ro("files", List, "Attached files"),
    ro(
        "estimated_total_in_main_currency",
        Number,
        "Estimated total in euros",
    ),
];

const QUOTE_ONLY: &[Field] = &[
    rw(
        "quote_status",
        IntOneOf(QUOTE_STATUSES),
        "Acceptance status",
    ),
    ro("quote_ref", Integer, "Quote number"),
    rw(
        "ignore_quote",
        Boolean,
        "Do not track invoicing of this quote",
    ),
    ro("fully_invoiced", Boolean, "Fully invoiced"),
    ro("amount_invoiced", Number, "Amount already invoiced"),
    ro(
        "invoice_ids",
        List,
        "Ids of the invoices made from this quote",
    ),
];

const INVOICE_ONLY: &[Field] = &[
    ro("quote_id", Integer, "Quote this invoice comes from"),
    ro("invoice_ref", Text(None), "Invoice number"),
    ro(
        "full_invoice_ref",
        Text(None),
        "Invoice number with its prefix",
    ),
    rw(
        "external_ref",
        TEXT,
        "Its number in the other tool (external invoices)",
    ),
    rw("payment_mode", IntOneOf(SALE_PAYMENT_MODES), ""),
    rw("paid_on", Date, ""),
    rw("payment_ref", TEXT, ""),
    rw("paid_in_main_currency", Number, "Total with tax, in euros"),
    ro(
        "refund_id",
        Integer,
        "For a credit note made by the service: the invoice it cancels",
    ),
    ro("pay_url", Text(None), "Online payment link"),
    ro("balance", Number, "Amount still due"),
    ro("external", Boolean, "Imported from another tool"),
    rw("overdue_at", DateTime, "Last reminder"),
    ro("settlements", List, "Payments recorded on the invoice"),
    ro(
        "recurring_invoice_id",
        Integer,
        "Recurring invoice that produced it",
    ),
];

pub const QUOTE: Fields = &[
    ID,
    SALES_DOCUMENT,
    QUOTE_ONLY,
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

pub const INVOICE: Fields = &[
    ID,
    SALES_DOCUMENT,
    INVOICE_ONLY,
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

pub const QUOTE_STATUS: Fields = &[&[rw("quote_status", IntOneOf(QUOTE_STATUSES), "")]];

pub const SETTLEMENT: Fields = &[
    ID,
    &[
        ro("invoice_id", Positive, ""),
        rw("total", Number, "Amount received"),
        rw("payment_mode", IntOneOf(SALE_PAYMENT_MODES), ""),
        rw("paid_on", Date, ""),
        rw("payment_ref", TEXT, ""),
    ],
];

pub const EMAIL: Fields = &[&[
    rw("to", Text(None), "The customer's email when omitted"),
    rw("cc", Text(None), FIRM_EMAIL_SETTINGS),
    rw("bcc", Text(None), FIRM_EMAIL_SETTINGS),
    rw("subject", Text(None), FIRM_EMAIL_SETTINGS),
    rw("message", Text(None), FIRM_EMAIL_SETTINGS),
]];

pub const PURCHASE: Fields = &[
    ID,
    &[
        rw("supplier_id", Positive, ""),
        ro("supplier_identity", Text(None), "Supplier name"),
        rw("title", Text(None), "What was bought"),
        rw("ref", TEXT, "Supplier's invoice number"),
        rw("total_with_vat", Number, "TTC"),
        rw("vat_amount", Number, ""),
        ro("total", Number, "Total before tax (HT)"),
        rw("currency", Currency, "ISO 4217 code"),
        rw("invoiced_on", Date, "Invoice date"),
        rw("term_on", Date, "Due date"),
        rw("paid_on", Date, ""),
        rw("payment_mode", IntOneOf(PURCHASE_PAYMENT_MODES), ""),
        rw("payment_ref", TEXT, ""),
        rw("paid_in_main_currency", Number, "Amount in euros"),
        ro(
            "estimated_total_in_main_currency",
            Number,
            "Estimated total in euros",
        ),
        rw("draft", Boolean, ""),
        rw(
            "reverse_charge",
            Boolean,
            "Reverse-charge VAT (autoliquidation)",
        ),
        rw("prepaid", Boolean, "Paid in advance"),
        rw("notes", Text(None), ""),
        rw("skip_export", Boolean, "Leave out of accounting exports"),
        ro("serial_number", Integer, "Voucher number"),
        rw("category_id", Positive, ""),
        rw("accounting_entry", Text(Some(8)), ""),
        rw(
            "accounting_asset",
            Boolean,
            "A fixed asset (immobilisation)",
        ),
        rw("asset_end_on", Date, "When the asset left the books"),
        rw("asset_end_reason", TEXT, "Why the asset left the books"),
        ro("files", List, "Attached receipts"),
    ],
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

/// The reference documents only that recurring schedules exist; their records pass through.
pub const RECURRING: Fields = &[
    ID,
    &[ro("title", Text(None), "Subject of the recurring document")],
];

pub const FILE: Fields = &[
    ID,
    &[
        ro("document_name", Text(None), "File name"),
        ro("document_size", Integer, "Size in bytes"),
        ro(
            "download_url",
            Text(None),
            "Download address (use download_file with the id)",
        ),
        ro("title", Text(None), "Document the file is attached to"),
        ro(
            "customer_id",
            Integer,
            "Customer it belongs to, for customer files",
        ),
        ro("quote_id", Integer, "Quote it belongs to, for quote files"),
        ro(
            "invoice_id",
            Integer,
            "Invoice it belongs to, for invoice files",
        ),
        ro(
            "purchase_id",
            Integer,
            "Purchase it belongs to, for purchase files",
        ),
    ],
];

pub const ORDER: Fields = &[&[
    ro("title", Text(None), "Subscription bought"),
    ro("amount", Number, "Amount paid"),
    ro("payment_date", Date, "Payment date"),
    ro(
        "invoice_url",
        Text(None),
        "Path of the PDF invoice: pass it to download_subscription_order_pdf",
    ),
    ro("refunded", Boolean, "Refunded"),
]];
