//! The tool table: one entry per tool, covering every route of the vendor reference.
//! Adding a route means adding an entry here; the schema builder and the executor do the
//! rest. The constructors below cover the common shapes; special tools spell out their
//! differences with struct update syntax.

use crate::fields::*;
use crate::spec::Method;
use crate::spec::{
    Body, CANNOT_BE_UNDONE, Effect, FieldType, FieldType::*, Fields, IrreversibleWhen, Output,
    QueryParam, ToolSpec, Toolset,
};
use crate::values::*;

const fn q(name: &'static str, ty: FieldType, description: &'static str) -> QueryParam {
    QueryParam {
        name,
        api_name: name,
        ty,
        description,
        required: false,
    }
}

// Filters. Text filters match a part of the field ("contains"), as the lists' descriptions
// say once; the server's instructions say pages hold 50 records.
const PAGE: QueryParam = q("page", Positive, "");
const SORT: QueryParam = q("sort", OneOf(SORT_DIRECTIONS), "");
const API_ID: QueryParam = q("api_id", Integer, "Exact");
const API_CUSTOM: QueryParam = q("api_custom", Text(None), "");
const COMPANY: QueryParam = q("company", Text(None), "");
const LAST_NAME: QueryParam = q("last_name", Text(None), "");
const TITLE: QueryParam = q("title", Text(None), "");
const CATEGORY_ID: QueryParam = q("category_id", Integer, "0: without a category");
const FOLLOWUP_ID: QueryParam = q("followup_id", Integer, "0 in progress, -1 done");
const CUSTOMER_ID: QueryParam = q("customer_id", Positive, "");
const ACCOUNTING_ENTRY: QueryParam = q("accounting_entry", Text(None), "");
const ACCOUNT_CODE: QueryParam = q("account_code", Text(None), "");
const USER_ID: QueryParam = q("user_id", Positive, "Colleague in charge");
const WITH_SEPA: QueryParam = q("with_sepa", Boolean, "Administrator's key only");
const WITH_DETAILS: QueryParam = q("with_details", Boolean, "Include lines and files");
const PAYMENT_REF: QueryParam = q("payment_ref", Text(None), "");
const PERIOD_START: QueryParam = q("period_start", Period, "");
const PERIOD_END: QueryParam = q("period_end", Period, "");
const PERIOD_TYPE: QueryParam = q(
    "period_type",
    OneOf(PERIOD_TYPES),
    "Periods filter payment dates when omitted",
);
const FILENAME: QueryParam = q("filename", Text(None), "The file's own name when omitted");
const VISIBLE: QueryParam = q("visible", Boolean, "The customer may see it");

const CUSTOMER_FILTERS: &[QueryParam] = &[
    PAGE,
    API_ID,
    API_CUSTOM,
    COMPANY,
    LAST_NAME,
    q("email", Text(None), ""),
    CATEGORY_ID,
    ACCOUNT_CODE,
    ACCOUNTING_ENTRY,
    WITH_SEPA,
    q(
        "mode",
        OneOf(CUSTOMER_MODES),
        "Active customers when omitted",
    ),
    SORT,
    q(
        "order",
        OneOf(CUSTOMER_ORDERS),
        "By short name when omitted",
    ),
];

const QUOTE_FILTERS: &[QueryParam] = &[
    PAGE,
    WITH_DETAILS,
    API_ID,
    API_CUSTOM,
    q("quote_ref", Text(None), ""),
    q("full_quote_ref", Text(None), "Exact"),
    CUSTOMER_ID,
    TITLE,
    COMPANY,
    LAST_NAME,
    q("status", OneOf(QUOTE_FILTER_STATUSES), ""),
    CATEGORY_ID,
    FOLLOWUP_ID,
    ACCOUNTING_ENTRY,
    USER_ID,
    PERIOD_START,
    PERIOD_END,
    SORT,
    q(
        "order",
        OneOf(QUOTE_ORDERS),
        "By number, newest first, when omitted",
    ),
];

const INVOICE_FILTERS: &[QueryParam] = &[
    PAGE,
    WITH_DETAILS,
    q("with_settlements", Boolean, "Include payments"),
    API_ID,
    API_CUSTOM,
    q("invoice_ref", Text(None), ""),
    q("full_invoice_ref", Text(None), "Exact, prefix included"),
    PAYMENT_REF,
    TITLE,
    CUSTOMER_ID,
    COMPANY,
    LAST_NAME,
    q("bill_type", OneOf(BILL_TYPES), ""),
    CATEGORY_ID,
    FOLLOWUP_ID,
    ACCOUNTING_ENTRY,
    USER_ID,
    PERIOD_START,
    PERIOD_END,
    PERIOD_TYPE,
    SORT,
    q(
        "order",
        OneOf(INVOICE_ORDERS),
        "By number, newest first, when omitted",
    ),
];

const PURCHASE_FILTERS: &[QueryParam] = &[
    PAGE,
    WITH_DETAILS,
    API_ID,
    API_CUSTOM,
    q("company", Text(None), "Supplier"),
    TITLE,
    q("invoice_ref", Text(None), "Supplier's number"),
    PAYMENT_REF,
    q("serial_number", Positive, "Voucher number"),
    q("purchase_type", OneOf(PURCHASE_TYPES), ""),
    ACCOUNTING_ENTRY,
    PERIOD_START,
    PERIOD_END,
    PERIOD_TYPE,
    SORT,
    q(
        "order",
        OneOf(PURCHASE_ORDERS),
        "By date, newest first, when omitted",
    ),
];

const SUPPLIER_FILTERS: &[QueryParam] = &[
    PAGE,
    API_ID,
    API_CUSTOM,
    COMPANY,
    CATEGORY_ID,
    WITH_SEPA,
    q("country", Country, ""),
    ACCOUNT_CODE,
    ACCOUNTING_ENTRY,
    SORT,
    q(
        "order",
        OneOf(CREATED_UPDATED_ORDERS),
        "By short name when omitted",
    ),
];

const PRODUCT_FILTERS: &[QueryParam] = &[
    PAGE,
    q("ref", Text(None), ""),
    TITLE,
    API_ID,
    API_CUSTOM,
    SORT,
    q("order", OneOf(PRODUCT_ORDERS), "By label when omitted"),
];

const CATEGORY_FILTERS: &[QueryParam] =
    &[PAGE, TITLE, q("status", IntOneOf(CATEGORY_STATUSES), "")];

const FOLLOWUP_FILTERS: &[QueryParam] =
    &[PAGE, TITLE, q("status", IntOneOf(FOLLOWUP_STATUSES), "")];

/// Filters of the four file lists; only the owner's id argument differs.
const fn file_filters(owner: QueryParam) -> [QueryParam; 4] {
    [
        PAGE,
        owner,
        SORT,
        q("order", OneOf(FILE_ORDERS), "Newest first when omitted"),
    ]
}

const QUOTE_FILE_FILTERS: &[QueryParam] = &file_filters(q("quote_id", Positive, ""));
const INVOICE_FILE_FILTERS: &[QueryParam] = &file_filters(q("invoice_id", Positive, ""));
const CUSTOMER_FILE_FILTERS: &[QueryParam] = &file_filters(q("customer_id", Positive, ""));
const PURCHASE_FILE_FILTERS: &[QueryParam] = &file_filters(q("purchase_id", Positive, ""));

/// The email tools take the document's own id and send it as `bill_id`.
const fn bill_id(name: &'static str) -> [QueryParam; 1] {
    [QueryParam {
        name,
        api_name: "bill_id",
        ty: Positive,
        description: "",
        required: true,
    }]
}

// Constructors for the common shapes.

const fn read(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    output: Output,
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        name,
        title,
        description,
        toolset,
        effect: Effect::Read,
        method: Method::Get,
        path,
        query: &[],
        body: Body::None,
        output,
        warning: CANNOT_BE_UNDONE,
        irreversible_when: None,
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one table row reads best as one call"
)]
const fn list(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    key: &'static str,
    fields: Fields,
    query: &'static [QueryParam],
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        query,
        ..read(
            toolset,
            name,
            title,
            path,
            Output::Page { key, fields },
            description,
        )
    }
}

const fn create(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    fields: Fields,
    required: &'static [&'static str],
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        effect: Effect::Create,
        method: Method::Post,
        body: Body::Json {
            fields,
            required,
            described_in: None,
        },
        ..read(
            toolset,
            name,
            title,
            path,
            Output::Record(fields),
            description,
        )
    }
}

/// An update of the record `id` names; `described_in` is the create tool with the same
/// fields, whose schema describes them.
#[expect(
    clippy::too_many_arguments,
    reason = "one table row reads best as one call"
)]
const fn update(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    fields: Fields,
    id: &'static str,
    described_in: Option<&'static str>,
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        effect: Effect::Update,
        method: Method::Patch,
        body: Body::Json {
            fields,
            required: &[],
            described_in,
        },
        ..read(
            toolset,
            name,
            title,
            path,
            Output::Done {
                verb: "updated",
                id,
            },
            description,
        )
    }
}

const fn delete(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    id: &'static str,
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        effect: Effect::Delete,
        method: Method::Delete,
        ..read(
            toolset,
            name,
            title,
            path,
            Output::Done {
                verb: "deleted",
                id,
            },
            description,
        )
    }
}

const fn upload(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    query: &'static [QueryParam],
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        effect: Effect::Create,
        method: Method::Post,
        query,
        body: Body::File,
        ..read(
            toolset,
            name,
            title,
            path,
            Output::Record(FILE),
            description,
        )
    }
}

const fn download(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    path: &'static str,
    file_name: &'static str,
    query: &'static [QueryParam],
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        query,
        ..read(
            toolset,
            name,
            title,
            path,
            Output::File { name: file_name },
            description,
        )
    }
}

const fn send_email(
    toolset: Toolset,
    name: &'static str,
    title: &'static str,
    id: &'static str,
    query: &'static [QueryParam],
    description: &'static str,
) -> ToolSpec {
    ToolSpec {
        effect: Effect::Irreversible,
        warning: "The email leaves at once and cannot be recalled.",
        method: Method::Post,
        query,
        body: Body::Json {
            fields: EMAIL,
            required: &[],
            described_in: None,
        },
        ..read(
            toolset,
            name,
            title,
            "/firms/{firm_id}/emails.json",
            Output::Done { verb: "sent", id },
            description,
        )
    }
}

use Toolset::*;

pub const TOOLS: &[ToolSpec] = &[
    // Account and subscription.
    read(
        Account,
        "get_account",
        "Get account and firms",
        "/account.json",
        Output::Record(ACCOUNT),
        "Shows the Facturation.PRO account behind the API key and the firms it can work on. Use a firm's id as `firm_id` in the other tools.",
    ),
    list(
        Account,
        "list_subscription_orders",
        "List subscription orders",
        "/firms/{firm_id}/orders.json",
        "orders",
        ORDER,
        &[],
        "Lists the paid orders of the firm's Facturation.PRO subscription, with the path of each PDF invoice.",
    ),
    download(
        Account,
        "download_subscription_order_pdf",
        "Download a subscription invoice",
        "{order_url}",
        "{path_name}",
        &[],
        "Saves the PDF invoice of a subscription order into the downloads folder. `order_url` is the order's `invoice_url` from list_subscription_orders.",
    ),
    // Customers.
    list(
        Customers,
        "list_customers",
        "List customers",
        "/firms/{firm_id}/customers.json",
        "customers",
        CUSTOMER,
        CUSTOMER_FILTERS,
        "Lists the firm's customers, 50 per page, with filters. Archived customers are left out unless `mode` asks for them.",
    ),
    create(
        Customers,
        "create_customer",
        "Create a customer",
        "/firms/{firm_id}/customers.json",
        CUSTOMER,
        &[],
        "Creates a customer and returns it with its new id. Give `company_name` for a business, or `individual: true` with first and last name for a private person.",
    ),
    ToolSpec {
        query: &[WITH_SEPA],
        ..read(
            Customers,
            "get_customer",
            "Get a customer",
            "/firms/{firm_id}/customers/{customer_id}.json",
            Output::Record(CUSTOMER),
            "Shows one customer with all its fields.",
        )
    },
    update(
        Customers,
        "update_customer",
        "Update a customer",
        "/firms/{firm_id}/customers/{customer_id}.json",
        CUSTOMER,
        "customer_id",
        Some("create_customer"),
        "Changes the given fields of a customer; fields left out keep their value.",
    ),
    ToolSpec {
        warning: "Its quotes are deleted with it. This cannot be undone.",
        ..delete(
            Customers,
            "delete_customer",
            "Delete a customer",
            "/firms/{firm_id}/customers/{customer_id}.json",
            "customer_id",
            "Deletes a customer and its quotes, for good. The API refuses when the customer has ever been invoiced; archive it instead.",
        )
    },
    ToolSpec {
        effect: Effect::Update,
        method: Method::Post,
        ..read(
            Customers,
            "archive_customer",
            "Archive a customer",
            "/firms/{firm_id}/customers/{customer_id}/archive.json",
            Output::Done {
                verb: "archived",
                id: "customer_id",
            },
            "Archives a customer: hidden from lists and new documents, history kept. unarchive_customer undoes it.",
        )
    },
    ToolSpec {
        effect: Effect::Update,
        method: Method::Post,
        ..read(
            Customers,
            "unarchive_customer",
            "Restore an archived customer",
            "/firms/{firm_id}/customers/{customer_id}/unarchive.json",
            Output::Done {
                verb: "unarchived",
                id: "customer_id",
            },
            "Brings an archived customer back into lists so it can be billed again.",
        )
    },
    list(
        Customers,
        "list_customer_quotes",
        "List a customer's quotes",
        "/firms/{firm_id}/customers/{customer_id}/quotes.json",
        "quotes",
        QUOTE,
        &[PAGE],
        "Lists the quotes (devis) of one customer, 50 per page.",
    ),
    list(
        Customers,
        "list_customer_invoices",
        "List a customer's invoices",
        "/firms/{firm_id}/customers/{customer_id}/invoices.json",
        "invoices",
        INVOICE,
        &[PAGE],
        "Lists the invoices (factures) of one customer, 50 per page.",
    ),
    upload(
        Customers,
        "upload_customer_file",
        "Attach a file to a customer",
        "/firms/{firm_id}/customers/{customer_id}/upload.json",
        &[FILENAME],
        "Attaches a file (contract, mandate...) to a customer record.",
    ),
    // Categories.
    list(
        Categories,
        "list_categories",
        "List categories",
        "/firms/{firm_id}/categories.json",
        "categories",
        CATEGORY,
        CATEGORY_FILTERS,
        "Lists the categories used to classify customers, documents and purchases.",
    ),
    create(
        Categories,
        "create_category",
        "Create a category",
        "/firms/{firm_id}/categories.json",
        CATEGORY,
        &["title"],
        "Creates a category for classifying customers, documents and purchases.",
    ),
    read(
        Categories,
        "get_category",
        "Get a category",
        "/firms/{firm_id}/categories/{category_id}.json",
        Output::Record(CATEGORY),
        "Shows one category and what it applies to.",
    ),
    update(
        Categories,
        "update_category",
        "Update a category",
        "/firms/{firm_id}/categories/{category_id}.json",
        CATEGORY,
        "category_id",
        Some("create_category"),
        "Renames a category or changes what it applies to.",
    ),
    delete(
        Categories,
        "delete_category",
        "Delete a category",
        "/firms/{firm_id}/categories/{category_id}.json",
        "category_id",
        "Deletes a category for good.",
    ),
    // Quotes (devis).
    list(
        Quotes,
        "list_quotes",
        "List quotes",
        "/firms/{firm_id}/quotes.json",
        "quotes",
        QUOTE,
        QUOTE_FILTERS,
        "Lists quotes (devis), 50 per page, newest first, with filters. Lines are left out unless `with_details` is true.",
    ),
    create(
        Quotes,
        "create_quote",
        "Create a quote",
        "/firms/{firm_id}/quotes.json",
        QUOTE,
        &["customer_id", "items"],
        "Creates a quote (devis) for a customer with at least one line; the service computes the totals.",
    ),
    read(
        Quotes,
        "get_quote",
        "Get a quote",
        "/firms/{firm_id}/quotes/{quote_id}.json",
        Output::Record(QUOTE),
        "Shows one quote with its lines and files.",
    ),
    update(
        Quotes,
        "update_quote",
        "Update a quote",
        "/firms/{firm_id}/quotes/{quote_id}.json",
        QUOTE,
        "quote_id",
        Some("create_quote"),
        "Changes a quote. In `items`, a line without `id` is added, a line with `id` is changed, and `id` with `_destroy: true` removes it.",
    ),
    delete(
        Quotes,
        "delete_quote",
        "Delete a quote",
        "/firms/{firm_id}/quotes/{quote_id}.json",
        "quote_id",
        "Deletes a quote for good.",
    ),
    update(
        Quotes,
        "update_quote_status",
        "Accept or refuse a quote",
        "/firms/{firm_id}/quotes/{quote_id}.json",
        QUOTE_STATUS,
        "quote_id",
        None,
        "Sets a quote's status: 0 pending, 1 accepted, 9 refused.",
    ),
    download(
        Quotes,
        "download_quote_pdf",
        "Download a quote as PDF",
        "/firms/{firm_id}/quotes/{quote_id}.pdf",
        "devis-{quote_id}.pdf",
        &[q(
            "proforma",
            Boolean,
            "Get it laid out as a pro forma invoice",
        )],
        "Saves the quote's PDF into the downloads folder, or as a pro forma invoice with `proforma: true`.",
    ),
    // The API converts into a final invoice only; a draft from a quote is create_invoice
    // with `type_doc: draft` and the quote's lines, as the description says.
    ToolSpec {
        effect: Effect::Irreversible,
        warning: "This creates a FINAL, numbered invoice: it can never be deleted, only cancelled by a credit note.",
        method: Method::Post,
        ..read(
            Quotes,
            "convert_quote_to_invoice",
            "Turn a quote into a final invoice",
            "/firms/{firm_id}/quotes/{quote_id}/invoice.json",
            Output::Record(INVOICE),
            "Creates a FINAL, numbered invoice from a quote (customer and lines copied, linked to the quote); it cannot be deleted afterwards. Each call creates another. For a draft instead, use create_invoice with type_doc draft and the quote's lines.",
        )
    },
    send_email(
        Quotes,
        "send_quote_email",
        "Email a quote",
        "quote_id",
        &bill_id("quote_id"),
        "Emails a quote to the customer through the firm's mail settings in Facturation.PRO. Cannot be undone.",
    ),
    upload(
        Quotes,
        "upload_quote_file",
        "Attach a file to a quote",
        "/firms/{firm_id}/quotes/{quote_id}/upload.json",
        &[FILENAME, VISIBLE],
        "Attaches a file to a quote, optionally visible to the customer.",
    ),
    // Invoices (factures).
    list(
        Invoices,
        "list_invoices",
        "List invoices",
        "/firms/{firm_id}/invoices.json",
        "invoices",
        INVOICE,
        INVOICE_FILTERS,
        "Lists invoices (factures), credit notes included, 50 per page, newest first, with filters.",
    ),
    ToolSpec {
        query: &[
            q(
                "type_doc",
                OneOf(NEW_INVOICE_DOC_TYPES),
                "Final and numbered when omitted",
            ),
            q(
                "external",
                Boolean,
                "Made in another tool; needs external_ref",
            ),
        ],
        irreversible_when: Some(IrreversibleWhen {
            argument: "type_doc",
            value: "draft",
            when_equal: false,
            warning: "Without type_doc draft, the invoice is FINAL and numbered: it can never be deleted, only cancelled by a credit note.",
        }),
        ..create(
            Invoices,
            "create_invoice",
            "Create an invoice",
            "/firms/{firm_id}/invoices.json",
            INVOICE,
            &["customer_id", "items"],
            "Creates an invoice for a customer with at least one line; the service computes the totals. Final unless type_doc is draft: a final invoice gets a number and can never be deleted.",
        )
    },
    read(
        Invoices,
        "get_invoice",
        "Get an invoice",
        "/firms/{firm_id}/invoices/{invoice_id}.json",
        Output::Record(INVOICE),
        "Shows one invoice with its lines, files and payments.",
    ),
    // Editing is an update; only finalising cannot be undone, so only it is confirmed.
    ToolSpec {
        query: &[q("type_doc", OneOf(INVOICE_DOC_TYPES), "")],
        irreversible_when: Some(IrreversibleWhen {
            argument: "type_doc",
            value: "final",
            when_equal: true,
            warning: "Finalising gives the invoice its number for good: it can never be deleted or go back to draft, and its amount is locked (only a credit note cancels it).",
        }),
        ..update(
            Invoices,
            "update_invoice",
            "Update or finalise an invoice",
            "/firms/{firm_id}/invoices/{invoice_id}.json",
            INVOICE,
            "invoice_id",
            Some("create_invoice"),
            "Changes an invoice: anything on a draft; on a final invoice only what leaves the amount alone (payment, notes, terms). type_doc final finalises a draft, for good.",
        )
    },
    delete(
        Invoices,
        "delete_invoice",
        "Delete a draft invoice",
        "/firms/{firm_id}/invoices/{invoice_id}.json",
        "invoice_id",
        "Deletes a draft invoice. Final invoices cannot be deleted: issue a credit note instead.",
    ),
    download(
        Invoices,
        "download_invoice_pdf",
        "Download an invoice as PDF",
        "/firms/{firm_id}/invoices/{invoice_id}.pdf",
        "facture-{invoice_id}.pdf",
        &[q(
            "original",
            Boolean,
            "For a paid invoice, the original without the payment stamp",
        )],
        "Saves the invoice's PDF into the downloads folder (marked paid once paid, unless `original`).",
    ),
    ToolSpec {
        effect: Effect::Irreversible,
        warning: "The credit note is final and numbered: it can never be deleted.",
        method: Method::Post,
        query: &[
            q("api_id", Integer, "Your own numeric reference"),
            q("api_custom", Text(None), "Your own text"),
        ],
        ..read(
            Invoices,
            "create_invoice_refund",
            "Issue a credit note",
            "/firms/{firm_id}/invoices/{invoice_id}/refund.json",
            Output::Record(INVOICE),
            "Issues a credit note (avoir) cancelling an invoice, and returns it. This is how a final invoice is cancelled.",
        )
    },
    send_email(
        Invoices,
        "send_invoice_email",
        "Email an invoice",
        "invoice_id",
        &bill_id("invoice_id"),
        "Emails a final invoice to the customer through the firm's mail settings in Facturation.PRO; not drafts or external invoices. Cannot be undone.",
    ),
    upload(
        Invoices,
        "upload_invoice_file",
        "Attach a file to an invoice",
        "/firms/{firm_id}/invoices/{invoice_id}/upload.json",
        &[FILENAME, VISIBLE],
        "Attaches a file to an invoice, optionally visible to the customer.",
    ),
    list(
        Invoices,
        "list_recurring_invoices",
        "List recurring invoices",
        "/firms/{firm_id}/recurring_invoices.json",
        "recurring_invoices",
        RECURRING,
        &[PAGE],
        "Lists recurring invoice schedules (managed in the web interface).",
    ),
    read(
        Invoices,
        "get_recurring_invoice",
        "Get a recurring invoice",
        "/firms/{firm_id}/recurring_invoices/{recurring_invoice_id}.json",
        Output::Record(RECURRING),
        "Shows one recurring invoice schedule.",
    ),
    // Settlements (règlements).
    list(
        Settlements,
        "list_invoice_settlements",
        "List an invoice's payments",
        "/firms/{firm_id}/invoices/{invoice_id}/settlements.json",
        "settlements",
        SETTLEMENT,
        &[],
        "Lists the payments (règlements) recorded on an invoice.",
    ),
    create(
        Settlements,
        "create_settlement",
        "Record a payment",
        "/firms/{firm_id}/invoices/{invoice_id}/settlements.json",
        SETTLEMENT,
        &["total", "payment_mode", "paid_on"],
        "Records a payment on an invoice. When payments cover the total, the invoice is marked paid with the last payment's date and mode.",
    ),
    read(
        Settlements,
        "get_settlement",
        "Get a payment",
        "/firms/{firm_id}/invoices/{invoice_id}/settlements/{settlement_id}.json",
        Output::Record(SETTLEMENT),
        "Shows one payment of an invoice.",
    ),
    delete(
        Settlements,
        "delete_settlement",
        "Delete a payment",
        "/firms/{firm_id}/invoices/{invoice_id}/settlements/{settlement_id}.json",
        "settlement_id",
        "Deletes a payment recorded on an invoice.",
    ),
    // Files.
    list(
        Files,
        "list_quote_files",
        "List files attached to quotes",
        "/firms/{firm_id}/assets/quotes.json",
        "files",
        FILE,
        QUOTE_FILE_FILTERS,
        "Lists files attached to quotes, all or one quote's.",
    ),
    list(
        Files,
        "list_invoice_files",
        "List files attached to invoices",
        "/firms/{firm_id}/assets/invoices.json",
        "files",
        FILE,
        INVOICE_FILE_FILTERS,
        "Lists files attached to invoices, all or one invoice's.",
    ),
    list(
        Files,
        "list_customer_files",
        "List customers' files",
        "/firms/{firm_id}/assets/customers.json",
        "files",
        FILE,
        CUSTOMER_FILE_FILTERS,
        "Lists files attached to customers, all or one customer's.",
    ),
    list(
        Files,
        "list_purchase_files",
        "List files attached to purchases",
        "/firms/{firm_id}/assets/purchases.json",
        "files",
        FILE,
        PURCHASE_FILE_FILTERS,
        "Lists receipts attached to purchases, all or one purchase's.",
    ),
    download(
        Files,
        "download_file",
        "Download an attached file",
        "/firms/{firm_id}/assets/{file_id}/download",
        "fichier-{file_id}",
        &[],
        "Saves an attached file into the downloads folder under its own name.",
    ),
    delete(
        Files,
        "delete_file",
        "Delete an attached file",
        "/firms/{firm_id}/assets/{file_id}.json",
        "file_id",
        "Deletes an attached file for good.",
    ),
    // Suppliers (fournisseurs).
    list(
        Suppliers,
        "list_suppliers",
        "List suppliers",
        "/firms/{firm_id}/suppliers.json",
        "suppliers",
        SUPPLIER,
        SUPPLIER_FILTERS,
        "Lists the firm's suppliers, 50 per page, with filters.",
    ),
    create(
        Suppliers,
        "create_supplier",
        "Create a supplier",
        "/firms/{firm_id}/suppliers.json",
        SUPPLIER,
        &[],
        "Creates a supplier and returns it with its new id.",
    ),
    read(
        Suppliers,
        "get_supplier",
        "Get a supplier",
        "/firms/{firm_id}/suppliers/{supplier_id}.json",
        Output::Record(SUPPLIER),
        "Shows one supplier with all its fields.",
    ),
    update(
        Suppliers,
        "update_supplier",
        "Update a supplier",
        "/firms/{firm_id}/suppliers/{supplier_id}.json",
        SUPPLIER,
        "supplier_id",
        Some("create_supplier"),
        "Changes the given fields of a supplier.",
    ),
    ToolSpec {
        warning: "ALL its purchases are deleted with it. This cannot be undone.",
        ..delete(
            Suppliers,
            "delete_supplier",
            "Delete a supplier",
            "/firms/{firm_id}/suppliers/{supplier_id}.json",
            "supplier_id",
            "Deletes a supplier AND all its purchases, for good.",
        )
    },
    // Products.
    list(
        Products,
        "list_products",
        "List products",
        "/firms/{firm_id}/products.json",
        "products",
        PRODUCT,
        PRODUCT_FILTERS,
        "Lists the product and service catalogue, 50 per page.",
    ),
    create(
        Products,
        "create_product",
        "Create a product",
        "/firms/{firm_id}/products.json",
        PRODUCT,
        &["title"],
        "Adds a product or service to the catalogue.",
    ),
    read(
        Products,
        "get_product",
        "Get a product",
        "/firms/{firm_id}/products/{product_id}.json",
        Output::Record(PRODUCT),
        "Shows one catalogue product with its price and VAT rate.",
    ),
    update(
        Products,
        "update_product",
        "Update a product",
        "/firms/{firm_id}/products/{product_id}.json",
        PRODUCT,
        "product_id",
        Some("create_product"),
        "Changes the given fields of a product.",
    ),
    delete(
        Products,
        "delete_product",
        "Delete a product",
        "/firms/{firm_id}/products/{product_id}.json",
        "product_id",
        "Removes a product from the catalogue for good.",
    ),
    // Follow-ups (suivis commerciaux).
    list(
        Followups,
        "list_followups",
        "List follow-up stages",
        "/firms/{firm_id}/followups.json",
        "followups",
        FOLLOWUP,
        FOLLOWUP_FILTERS,
        "Lists the firm's own follow-up stages. Two built-in ones are not listed: 0 (in progress) and -1 (done).",
    ),
    create(
        Followups,
        "create_followup",
        "Create a follow-up stage",
        "/firms/{firm_id}/followups.json",
        FOLLOWUP,
        &["title"],
        "Creates a follow-up stage for quotes and invoices.",
    ),
    read(
        Followups,
        "get_followup",
        "Get a follow-up stage",
        "/firms/{firm_id}/followups/{followup_id}.json",
        Output::Record(FOLLOWUP),
        "Shows one follow-up stage.",
    ),
    update(
        Followups,
        "update_followup",
        "Update a follow-up stage",
        "/firms/{firm_id}/followups/{followup_id}.json",
        FOLLOWUP,
        "followup_id",
        Some("create_followup"),
        "Renames a follow-up stage or changes which documents it applies to.",
    ),
    delete(
        Followups,
        "delete_followup",
        "Delete a follow-up stage",
        "/firms/{firm_id}/followups/{followup_id}.json",
        "followup_id",
        "Deletes a follow-up stage for good.",
    ),
    // Purchases (achats).
    list(
        Purchases,
        "list_purchases",
        "List purchases",
        "/firms/{firm_id}/purchases.json",
        "purchases",
        PURCHASE,
        PURCHASE_FILTERS,
        "Lists purchases (expenses), 50 per page, newest first, with filters.",
    ),
    create(
        Purchases,
        "create_purchase",
        "Record a purchase",
        "/firms/{firm_id}/purchases.json",
        PURCHASE,
        &[],
        "Records a purchase (a supplier's invoice or an expense).",
    ),
    read(
        Purchases,
        "get_purchase",
        "Get a purchase",
        "/firms/{firm_id}/purchases/{purchase_id}.json",
        Output::Record(PURCHASE),
        "Shows one purchase with its receipts.",
    ),
    update(
        Purchases,
        "update_purchase",
        "Update a purchase",
        "/firms/{firm_id}/purchases/{purchase_id}.json",
        PURCHASE,
        "purchase_id",
        Some("create_purchase"),
        "Changes the given fields of a purchase, such as its payment.",
    ),
    delete(
        Purchases,
        "delete_purchase",
        "Delete a purchase",
        "/firms/{firm_id}/purchases/{purchase_id}.json",
        "purchase_id",
        "Deletes a purchase for good.",
    ),
    upload(
        Purchases,
        "upload_purchase_file",
        "Attach a receipt to a purchase",
        "/firms/{firm_id}/purchases/{purchase_id}/upload.json",
        &[FILENAME],
        "Attaches a receipt or invoice file to a purchase.",
    ),
    list(
        Purchases,
        "list_recurring_purchases",
        "List recurring purchases",
        "/firms/{firm_id}/recurring_purchases.json",
        "recurring_purchases",
        RECURRING,
        &[PAGE],
        "Lists recurring purchase schedules (managed in the web interface).",
    ),
    read(
        Purchases,
        "get_recurring_purchase",
        "Get a recurring purchase",
        "/firms/{firm_id}/recurring_purchases/{recurring_purchase_id}.json",
        Output::Record(RECURRING),
        "Shows one recurring purchase schedule.",
    ),
];
