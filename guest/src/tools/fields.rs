//! Record field tables, after the reference's "Liste des champs" sections: name, type,
//! whether it is writable, and what it means.

use super::spec::{Field, FieldType, FieldType::*};
use super::values::{CURRENCIES, LANGUAGES, PAY_BEFORE};

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

pub const ACCOUNT: &[Field] = &[
    ro("id", Integer, "User account id"),
    ro("email", Text(None), "Login email of the account"),
    ro(
        "firms",
        List,
        "Firms this API key can work on: `id` (use as firm_id) and `name`",
    ),
];

pub const CUSTOMER: &[Field] = &[
    ro("id", Integer, "Customer id"),
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
        "Short name used to sort and find the customer",
    ),
    rw("street", TEXT, "Billing street address"),
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
        "Customer account code in the ledger (e.g. 411ACME)",
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
        "api_id",
        Integer,
        "Free numeric reference for your own integrations",
    ),
    rw("api_custom", TEXT, "Free text for your own integrations"),
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
    rw("field1", TEXT, "Free field 1"),
    rw("field2", TEXT, "Free field 2"),
    rw("field3", TEXT, "Free field 3"),
    rw("field4", TEXT, "Free field 4"),
    rw("field5", TEXT, "Free field 5"),
    ro("created_at", DateTime, "Creation time"),
    ro("updated_at", DateTime, "Last modification time"),
    ro("last_invoiced_on", Date, "Date of the latest invoice"),
    ro("last_paid_on", Date, "Date of the latest payment"),
    ro("soft_deleted", Boolean, "Marked for deletion"),
    ro(
        "hard_delete_on",
        Date,
        "Date the record will be deleted for good",
    ),
];
