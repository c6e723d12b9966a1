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

const ID: &[Field] = &[ro("id", Integer, "Id of the record")];

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
    rw(
        "api_id",
        Integer,
        "Free numeric reference for your own integrations",
    ),
    rw("api_custom", TEXT, "Free text for your own integrations"),
];

const FREE_FIELDS: &[Field] = &[
    rw("field1", TEXT, "Free field 1"),
    rw("field2", TEXT, "Free field 2"),
    rw("field3", TEXT, "Free field 3"),
    rw("field4", TEXT, "Free field 4"),
    rw("field5", TEXT, "Free field 5"),
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
        "Company name (derived from first and last name when omitted)",
    ),
    rw("civility", TEXT, "Civility (M., Mme...)"),
    rw("first_name", TEXT, "First name of the contact"),
    rw("last_name", TEXT, "Last name of the contact"),
    rw(
        "short_name",
        TEXT,
        "Short name used to sort and find the record",
    ),
    rw("street", TEXT, "Street address"),
    rw("city", TEXT, "City"),
    rw("zip_code", Text(Some(20)), "Postal code"),
    rw(
        "country",
        Country,
        "Country, ISO 3166 two-letter code in capitals (FR, BE, CH...)",
    ),
    rw("phone", TEXT, "Phone"),
    rw("fax", TEXT, "Fax"),
    rw("email", Text(None), "Email"),
    rw("mobile", TEXT, "Mobile phone"),
    rw("website", TEXT, "Website"),
    rw("notes", Text(None), "Internal notes, never printed"),
    rw("vat_number", Text(Some(30)), "Intra-EU VAT number"),
    rw("siret", Text(Some(100)), "SIRET number"),
    rw("category_id", Integer, "Category id (see list_categories)"),
    rw(
        "account_code",
        Text(Some(11)),
        "Account code in the ledger (e.g. 411ACME, 401OVH)",
    ),
    rw(
        "accounting_entry",
        Text(Some(8)),
        "Default accounting entry code",
    ),
    rw(
        "sepa_iban",
        Text(None),
        "SEPA IBAN (readable only with the firm administrator's key)",
    ),
    rw(
        "sepa_bic",
        Text(None),
        "SEPA BIC (administrator's key only)",
    ),
];

const CUSTOMER_ONLY: &[Field] = &[
    rw(
        "sepa_rum",
        Text(None),
        "SEPA mandate reference, RUM (administrator's key only)",
    ),
    rw(
        "sepa_signature_on",
        Date,
        "SEPA mandate signature date (administrator's key only)",
    ),
    rw(
        "individual",
        Boolean,
        "true for a private individual; customers are professionals by default",
    ),
    rw("reference", TEXT, "Customer reference"),
    rw("penalty", Number, "Late payment penalty rate, percent"),
    rw("discount", Number, "Early payment discount rate, percent"),
    rw("pay_before", Suggested(PAY_BEFORE), "Payment terms code"),
    rw(
        "validity",
        Integer,
        "Validity of quotes for this customer, in days",
    ),
    rw(
        "currency",
        Code(CURRENCIES),
        "Currency, ISO 4217 code (EUR by default)",
    ),
    rw(
        "language",
        OneOf(LANGUAGES),
        "Language of the PDF documents",
    ),
    rw("default_vat", Number, "Default VAT rate, percent"),
    rw(
        "vat_country",
        Text(Some(3)),
        "Country code whose VAT rates apply",
    ),
    rw(
        "vat_exemption",
        TEXT,
        "Reason for VAT exemption, printed on documents",
    ),
    rw(
        "invoice_email",
        Text(None),
        "Email address invoices are sent to",
    ),
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
        "Reverse-charge VAT (autoliquidation) applies",
    )],
    API_REFERENCES,
    TIMESTAMPS,
    SOFT_DELETE,
];

pub const CATEGORY: Fields = &[
    ID,
    &[
        rw("title", TEXT, "Name of the category"),
        rw(
            "status",
            IntOneOf(CATEGORY_STATUSES),
            "What the category applies to",
        ),
    ],
    TIMESTAMPS,
];

pub const FOLLOWUP: Fields = &[
    ID,
    &[
        rw("title", TEXT, "Name of the follow-up stage"),
        rw(
            "status",
            IntOneOf(FOLLOWUP_STATUSES),
            "Which documents it applies to",
        ),
    ],
    TIMESTAMPS,
];

pub const PRODUCT: Fields = &[
    ID,
    &[
        rw("ref", TEXT, "Internal product reference"),
        rw("title", Text(None), "Label printed on documents"),
        rw("unit_price", Number, "Unit price before tax (HT)"),
        rw("vat", Number, "VAT rate as a fraction: 0.2 for 20%"),
        rw(
            "measure",
            Text(Some(32)),
            "Unit of measure (day, hour, kg...)",
        ),
        rw(
            "sap_nature",
            Integer,
            "NOVA activity code, for personal services",
        ),
        rw(
            "nature",
            IntOneOf(NATURES),
            "Kind of billing, for micro-entrepreneurs",
        ),
        rw("category_id", Integer, "Category id"),
        rw("notes", Text(None), "Internal notes"),
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
        Integer,
        "Line id: give it to change or remove an existing line; omit it to add one",
    ),
    rw("title", Text(None), "Label of the line"),
    rw("quantity", Number, "Quantity"),
    rw("unit_price", Number, "Unit price before tax (HT)"),
    rw(
        "vat",
        Number,
        "VAT rate as a fraction: 0.2 for 20%, 0.055 for 5.5%",
    ),
    rw("measure", Text(Some(32)), "Unit of measure (day, hour...)"),
    rw("product_id", Integer, "Product from the catalogue"),
    rw("position", Integer, "Line number, from 1"),
    rw(
        "optional",
        Boolean,
        "Quotes only: an optional line, left out of the total",
    ),
    rw("style", OneOf(LINE_STYLES), "Omit for a normal line"),
    rw(
        "nature",
        IntOneOf(NATURES),
        "Kind of billing, for micro-entrepreneurs only",
    ),
    rw(
        "sap_nature",
        Integer,
        "Activity code for personal services (service à la personne)",
    ),
    rw("_destroy", Boolean, "true, with `id`, removes that line"),
    ro(
        "total",
        Number,
        "Line total before tax, computed by the service",
    ),
];

/// Columns quotes and invoices share.
const SALES_DOCUMENT: &[Field] = &[
    rw("customer_id", Integer, "Customer id"),
    ro("customer_identity", Text(None), "Customer name"),
    rw("title", TEXT, "Subject of the document"),
    rw("language", OneOf(LANGUAGES), "Language of the PDF"),
    rw("category_id", Integer, "Category id"),
    rw(
        "followup_id",
        Integer,
        "Follow-up stage id (0 = in progress, -1 = done)",
    ),
    rw("invoiced_on", Date, "Document date"),
    rw(
        "term_on",
        Date,
        "Due date (invoices) or validity end (quotes)",
    ),
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
    rw("currency", Code(CURRENCIES), "Currency, ISO 4217 code"),
    rw("rebate_percentage", Number, "Global discount, percent"),
    rw(
        "vat_exemption",
        TEXT,
        "Reason for VAT exemption, printed on the document",
    ),
    rw(
        "vat_country",
        Text(Some(2)),
        "Country code whose VAT rates apply",
    ),
    rw(
        "tax_title",
        TEXT,
        "Name of an additional tax on the total before tax",
    ),
    rw(
        "tax_percent",
        Number,
        "Rate of that additional tax, percent",
    ),
    rw("penalty", Number, "Late payment penalty rate, percent"),
    rw("pay_before", Suggested(PAY_BEFORE), "Payment terms code"),
    rw("discount", Number, "Early payment discount rate, percent"),
    rw(
        "precompte",
        Boolean,
        "Contributions withheld at source (précompte)",
    ),
    rw("activity_title", TEXT, "Nature of the activity"),
    rw(
        "service_personne",
        Boolean,
        "Personal service (service à la personne)",
    ),
    rw("accounting_entry", Text(Some(8)), "Accounting entry code"),
    rw(
        "information",
        Text(None),
        "Additional information printed on the document",
    ),
    rw("internal_note", Text(None), "Internal note, never printed"),
    rw(
        "purchase_number",
        Text(Some(100)),
        "Customer's purchase order number",
    ),
    rw(
        "user_id",
        Integer,
        "Id of the colleague managing the document",
    ),
    rw("delivery_on", Date, "Delivery or completion date"),
    ro("public_download_url", Text(None), "Public download link"),
    rw(
        "items",
        Lines(LINE),
        "Document lines; at least one is required",
    ),
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
        "Number of the invoice in the other tool (external invoices)",
    ),
    rw(
        "payment_mode",
        IntOneOf(SALE_PAYMENT_MODES),
        "How it was paid",
    ),
    rw("paid_on", Date, "Payment date"),
    rw("payment_ref", TEXT, "Payment reference"),
    rw("paid_in_main_currency", Number, "Total with tax, in euros"),
    ro(
        "refund_id",
        Integer,
        "For a credit note made by the service: the invoice it cancels",
    ),
    ro("pay_url", Text(None), "Online payment link"),
    ro("balance", Number, "Amount still due"),
    ro("external", Boolean, "Imported from another tool"),
    rw("overdue_at", DateTime, "Time of the last reminder"),
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

pub const QUOTE_STATUS: Fields = &[&[rw(
    "quote_status",
    IntOneOf(QUOTE_STATUSES),
    "New acceptance status",
)]];

pub const SETTLEMENT: Fields = &[
    ID,
    &[
        ro("invoice_id", Integer, "Invoice paid"),
        rw("total", Number, "Amount received"),
        rw(
            "payment_mode",
            IntOneOf(SALE_PAYMENT_MODES),
            "How it was paid",
        ),
        rw("paid_on", Date, "Payment date"),
        rw("payment_ref", TEXT, "Payment reference"),
    ],
];

pub const EMAIL: Fields = &[&[
    rw(
        "to",
        Text(None),
        "Recipient; the customer's email when omitted",
    ),
    rw(
        "cc",
        Text(None),
        "Copy to; the firm's email settings when omitted",
    ),
    rw(
        "bcc",
        Text(None),
        "Blind copy to; the firm's email settings when omitted",
    ),
    rw(
        "subject",
        Text(None),
        "Subject; the firm's email template when omitted",
    ),
    rw(
        "message",
        Text(None),
        "Message; the firm's email template when omitted",
    ),
]];

pub const PURCHASE: Fields = &[
    ID,
    &[
        rw("supplier_id", Integer, "Supplier id"),
        ro("supplier_identity", Text(None), "Supplier name"),
        rw("title", Text(None), "What was bought"),
        rw("ref", TEXT, "Supplier's invoice number"),
        rw("total_with_vat", Number, "Total with tax (TTC)"),
        rw("vat_amount", Number, "VAT amount"),
        ro("total", Number, "Total before tax (HT)"),
        rw("currency", Code(CURRENCIES), "Currency, ISO 4217 code"),
        rw("invoiced_on", Date, "Invoice date"),
        rw("term_on", Date, "Due date"),
        rw("paid_on", Date, "Payment date"),
        rw(
            "payment_mode",
            IntOneOf(PURCHASE_PAYMENT_MODES),
            "How it was paid",
        ),
        rw("payment_ref", TEXT, "Payment reference"),
        rw("paid_in_main_currency", Number, "Amount in euros"),
        ro(
            "estimated_total_in_main_currency",
            Number,
            "Estimated total in euros",
        ),
        rw("draft", Boolean, "Draft"),
        rw(
            "reverse_charge",
            Boolean,
            "Reverse-charge VAT (autoliquidation)",
        ),
        rw("prepaid", Boolean, "Paid in advance"),
        rw("notes", Text(None), "Notes"),
        rw("skip_export", Boolean, "Leave out of accounting exports"),
        ro("serial_number", Integer, "Voucher number"),
        rw("category_id", Integer, "Category id"),
        rw("accounting_entry", Text(Some(8)), "Accounting entry code"),
        rw(
            "accounting_asset",
            Boolean,
            "A fixed asset (immobilisation)",
        ),
        rw("asset_end_on", Date, "Date the asset left the books"),
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
