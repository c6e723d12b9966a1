//! Prompts for the jobs users bring most often: each names the tools to use, in order, and
//! says which steps wait for the user's go-ahead (finalising, emailing, credit notes,
//! deleting), so that a model following it never does those on its own.

use serde_json::{Value, json};

use super::positive_id;
use crate::mcp::{Arguments, CacheScope, Cached, LibraryError};

/// Prompts change only with a new release of the server.
const PROMPTS_TTL_MS: u64 = 60 * 60 * 1000;

pub struct Prompt {
    pub name: &'static str,
    title: &'static str,
    description: &'static str,
    pub arguments: &'static [Argument],
    /// The message, from the arguments (already checked: required ones are present).
    render: fn(&Given) -> String,
}

pub struct Argument {
    pub name: &'static str,
    description: &'static str,
    required: bool,
}

const FIRM_ID: Argument = Argument {
    name: "firm_id",
    description: "Firm to work on (its id); the configured firm when omitted",
    required: false,
};

pub const PROMPTS: &[Prompt] = &[
    Prompt {
        name: "invoice_customer",
        title: "Facturer un client / Invoice a customer",
        description: "Drafts an invoice for a customer, has you check it, then finalises and \
            emails it only with your go-ahead.",
        arguments: &[
            Argument {
                name: "customer",
                description: "The customer: company name (or the start of it) or customer id",
                required: true,
            },
            Argument {
                name: "work",
                description: "What to invoice, e.g. \"3 days of consulting at 600 EUR before tax\"",
                required: false,
            },
            FIRM_ID,
        ],
        render: invoice_customer,
    },
    Prompt {
        name: "chase_unpaid_invoices",
        title: "Relancer les impayés / Chase unpaid invoices",
        description: "Lists overdue invoices, drafts reminders, and emails them only with your \
            go-ahead, one customer at a time.",
        arguments: &[
            Argument {
                name: "customer",
                description: "Only this customer (company name or id); every customer when omitted",
                required: false,
            },
            FIRM_ID,
        ],
        render: chase_unpaid_invoices,
    },
    Prompt {
        name: "quote_to_paid_invoice",
        title: "Du devis à la facture payée / From quote to paid invoice",
        description: "Takes an accepted quote through invoicing, sending and payment, asking \
            before each step that cannot be undone.",
        arguments: &[
            Argument {
                name: "quote",
                description: "The quote: its number (e.g. D-2025-014) or its id",
                required: true,
            },
            FIRM_ID,
        ],
        render: quote_to_paid_invoice,
    },
    Prompt {
        name: "record_purchase_with_receipt",
        title: "Enregistrer un achat avec justificatif / Record a purchase with its receipt",
        description: "Records a supplier's invoice or an expense and attaches the receipt file.",
        arguments: &[
            Argument {
                name: "supplier",
                description: "The supplier: company name (or the start of it) or supplier id",
                required: true,
            },
            Argument {
                name: "receipt",
                description: "The receipt file, relative to the downloads folder (e.g. receipts/taxi.pdf)",
                required: false,
            },
            FIRM_ID,
        ],
        render: record_purchase_with_receipt,
    },
    Prompt {
        name: "month_end_summary",
        title: "Bilan de fin de mois / Month-end summary",
        description: "Summarises a month: invoiced, cashed, overdue, purchases and open \
            quotes. Reads only; changes nothing.",
        arguments: &[
            Argument {
                name: "month",
                description: "The month, as YYYY-MM (e.g. 2025-10)",
                required: true,
            },
            FIRM_ID,
        ],
        render: month_end_summary,
    },
];

/// The closing line of every prompt that can lead to irreversible actions.
const GO_AHEAD: &str = "Never make an invoice final (finalising a draft, creating one without \
    `type_doc: \"draft\"`, converting a quote), email anything, issue a credit note or delete \
    anything without my explicit go-ahead for that very action.";

pub fn list() -> Cached<Vec<Value>> {
    let prompts = PROMPTS
        .iter()
        .map(|prompt| {
            let arguments: Vec<Value> = prompt
                .arguments
                .iter()
                .map(|argument| {
                    json!({
                        "name": argument.name,
                        "description": argument.description,
                        "required": argument.required,
                    })
                })
                .collect();
            json!({
                "name": prompt.name,
                "title": prompt.title,
                "description": prompt.description,
                "arguments": arguments,
            })
        })
        .collect();
    Cached {
        value: prompts,
        ttl_ms: PROMPTS_TTL_MS,
        scope: CacheScope::Public,
    }
}

pub fn find(name: &str) -> Result<&'static Prompt, LibraryError> {
    PROMPTS
        .iter()
        .find(|prompt| prompt.name == name)
        .ok_or_else(|| {
            let known: Vec<&str> = PROMPTS.iter().map(|prompt| prompt.name).collect();
            LibraryError::InvalidParams(format!(
                "Unknown prompt: {name} (this server has {})",
                known.join(", ")
            ))
        })
}

/// A `GetPromptResult`: one user message, after every argument was checked.
pub fn render(name: &str, arguments: &Arguments) -> Result<Value, LibraryError> {
    let prompt = find(name)?;
    let given = Given::check(prompt, arguments)?;
    Ok(json!({
        "description": prompt.description,
        "messages": [{
            "role": "user",
            "content": { "type": "text", "text": (prompt.render)(&given) },
        }],
    }))
}

/// A prompt's arguments, checked: all known, required ones present and not blank, the
/// firm a positive integer and the month a real one.
struct Given<'a> {
    arguments: &'a Arguments,
}

impl<'a> Given<'a> {
    fn check(prompt: &Prompt, arguments: &'a Arguments) -> Result<Self, LibraryError> {
        let invalid = |message: String| Err(LibraryError::InvalidParams(message));
        if let Some(unknown) = arguments.keys().find(|name| {
            !prompt
                .arguments
                .iter()
                .any(|argument| argument.name == *name)
        }) {
            return invalid(format!(
                "prompt {} has no argument `{unknown}`",
                prompt.name
            ));
        }
        for argument in prompt.arguments.iter().filter(|argument| argument.required) {
            if arguments
                .get(argument.name)
                .is_none_or(|value| value.trim().is_empty())
            {
                return invalid(format!(
                    "prompt {} needs the argument `{}`: {}",
                    prompt.name, argument.name, argument.description
                ));
            }
        }
        let given = Self { arguments };
        if let Some(firm) = given.get("firm_id")
            && positive_id(firm).is_none()
        {
            return invalid(format!(
                "`firm_id` must be a positive integer, got {firm:?}"
            ));
        }
        if let Some(month) = given.get("month")
            && !is_month(month)
        {
            return invalid(format!(
                "`month` must be a month written YYYY-MM (e.g. 2025-10), got {month:?}"
            ));
        }
        Ok(given)
    }

    /// An argument's value, trimmed; blank counts as absent.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.arguments
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// A required argument's value (checked present).
    fn required(&self, name: &str) -> &'a str {
        self.get(name).unwrap_or_default()
    }

    /// Which firm the tools should use, as a sentence.
    fn firm(&self) -> String {
        match self.get("firm_id") {
            Some(firm) => format!("Work on firm {firm}: pass `firm_id: {firm}` to every tool."),
            None => "Work on the configured firm (the tools' default `firm_id`).".to_string(),
        }
    }
}

fn is_month(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit)
        && matches!(text[5..].parse::<u8>(), Ok(1..=12))
}

fn invoice_customer(given: &Given) -> String {
    let customer = given.required("customer");
    let work = match given.get("work") {
        Some(work) => format!("What to invoice: {work}."),
        None => "Ask me what to invoice if I have not said: for each line a title, quantity, \
                 unit price before tax and VAT rate."
            .to_string(),
    };
    format!(
        "Invoice the customer \"{customer}\" in Facturation.PRO. {work} {firm}\n\n\
         1. Find the customer with `list_customers` (argument `company`); if \"{customer}\" \
         is a number, it may be the id: check it with `get_customer`. If several match, ask \
         me which one. If none does, offer to create it with `create_customer` and wait for \
         my answer.\n\
         2. Create the invoice as a draft: `create_invoice` with the `customer_id`, \
         `type_doc: \"draft\"` and one entry of `items` per line (`title`, `quantity`, \
         `unit_price`, `vat`). A draft has no number yet and can still be changed or deleted.\n\
         3. Show me the draft: customer, lines, totals as the service computed them, due date.\n\
         4. Only once I confirm, finalise it with `update_invoice` and `type_doc: \"final\"`. \
         That gives it its number for good: a final invoice cannot be deleted, only cancelled \
         by a credit note (`create_invoice_refund`, which also needs my go-ahead).\n\
         5. Ask me whether to email it; only if I say yes, send it with `send_invoice_email`. \
         Offer `download_invoice_pdf` to keep a copy.\n\n{GO_AHEAD}",
        firm = given.firm(),
    )
}

fn chase_unpaid_invoices(given: &Given) -> String {
    let scope = match given.get("customer") {
        Some(customer) => format!(
            "of the customer \"{customer}\" (find it with `list_customers`, argument \
             `company`, and filter with its `customer_id`)"
        ),
        None => "of every customer".to_string(),
    };
    format!(
        "Chase the unpaid invoices {scope} in Facturation.PRO. {firm}\n\n\
         1. List the overdue invoices with `list_invoices` and `bill_type: \"term\"` (with \
         `all_pages: true` if there are many); then those not yet due with `bill_type: \
         \"unpaid\"`.\n\
         2. For each overdue invoice, check the payments already recorded with \
         `list_invoice_settlements`. If I tell you one was in fact paid, record the payment \
         with `create_settlement` (date, mode, amount) after I confirm the figures.\n\
         3. Show me a table per customer: invoice number, date, due date, amount still owed, \
         days late, most late first.\n\
         4. Draft a short, courteous reminder for each customer, in French unless the \
         customer's language says otherwise, quoting the invoice numbers and amounts.\n\
         5. Send a reminder with `send_invoice_email` (its `subject` and `message`) only \
         after I approve that customer's text. Emails cannot be recalled.\n\n{GO_AHEAD}",
        firm = given.firm(),
    )
}

fn quote_to_paid_invoice(given: &Given) -> String {
    let quote = given.required("quote");
    format!(
        "Take the quote \"{quote}\" from acceptance to a paid invoice in Facturation.PRO. \
         {firm}\n\n\
         1. Find the quote: `list_quotes` with `quote_ref`, or `get_quote` if \"{quote}\" is \
         its id. Show me its customer, lines, total and status.\n\
         2. If it is still pending and I confirm the customer accepted it, mark it accepted \
         with `update_quote_status` and `quote_status: 1`.\n\
         3. Check that it was not invoiced already (its `invoice_ids`, or `list_invoices` \
         with its `customer_id`). Then, only once I confirm, turn it into an invoice with \
         `convert_quote_to_invoice`, once: the API makes a FINAL, numbered invoice at once \
         (it can never be deleted), and each call creates another.\n\
         4. If I would rather check a draft first, create it instead with `create_invoice`, \
         `type_doc: \"draft\"`, the quote's `customer_id` and its lines as `items`; show it \
         to me and, only once I confirm, finalise it with `update_invoice` and `type_doc: \
         \"final\"` (irreversible: it gets its number).\n\
         5. Ask me before emailing it with `send_invoice_email`.\n\
         6. When I tell you the payment came in, record it with `create_settlement` \
         (`paid_on`, `payment_mode`, `total`) and check with `get_invoice` that the invoice \
         shows as paid. A mistaken final invoice is cancelled only by a credit note \
         (`create_invoice_refund`), never deleted.\n\n{GO_AHEAD}",
        firm = given.firm(),
    )
}

fn record_purchase_with_receipt(given: &Given) -> String {
    let supplier = given.required("supplier");
    let receipt = match given.get("receipt") {
        Some(receipt) => format!(
            "The receipt is the file \"{receipt}\" in the downloads folder: pass it as `path` \
             to `upload_purchase_file`."
        ),
        None => "Ask me for the receipt file (a path inside the downloads folder) before \
                 the last step."
            .to_string(),
    };
    format!(
        "Record a purchase from the supplier \"{supplier}\" in Facturation.PRO, with its \
         receipt. {receipt} {firm}\n\n\
         1. Find the supplier with `list_suppliers` (argument `company`), or `get_supplier` \
         if \"{supplier}\" is its id. If none matches, offer to create it with \
         `create_supplier` and wait for my answer.\n\
         2. Gather from me (or from the receipt) the title, the supplier's invoice number \
         (`ref`), the date (`invoiced_on`), `total_with_vat` and `vat_amount`, and whether \
         it is already paid (`paid_on`, `payment_mode`). Show me the figures before saving.\n\
         3. Record it with `create_purchase` and the `supplier_id`.\n\
         4. Attach the receipt with `upload_purchase_file` (the new `purchase_id` and the \
         file's `path`), then show me the result of `get_purchase`.\n\n\
         If something went wrong, do not delete the purchase (`delete_purchase`) without my \
         explicit go-ahead.",
        firm = given.firm(),
    )
}

fn month_end_summary(given: &Given) -> String {
    let month = given.required("month");
    format!(
        "Give me the month-end summary for {month} from Facturation.PRO. {firm} Read only: \
         change nothing.\n\n\
         1. Invoiced: `list_invoices` with `period_start: \"{month}\"`, `period_end: \
         \"{month}\"`, `period_type: \"billed\"` and `all_pages: true`; total the invoices \
         and, separately, the credit notes (`bill_type: \"refund\"`).\n\
         2. Cashed: `list_invoices` with `bill_type: \"paid\"` and the same period on \
         payment dates (leave out `period_type`).\n\
         3. Still owed: `list_invoices` with `bill_type: \"term\"` (overdue) and `bill_type: \
         \"unpaid\"`.\n\
         4. Spent: `list_purchases` with the same period and `period_type: \"billed\"`; \
         group by supplier.\n\
         5. Pipeline: `list_quotes` with `status: \"to_invoice\"` (accepted, not yet \
         invoiced) and the quotes dated in {month}.\n\n\
         Present the totals before and after tax, the five largest customers and suppliers \
         of the month, and the overdue invoices most late first. If I then ask for \
         follow-ups (reminders, invoices), each irreversible step needs my go-ahead.",
        firm = given.firm(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(pairs: &[(&str, &str)]) -> Arguments {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    /// Every argument of `prompt`, filled with a plausible value.
    fn all_arguments(prompt: &Prompt) -> Arguments {
        let value = |name: &str| match name {
            "month" => "2025-10",
            "firm_id" => "1001",
            _ => "Acme",
        };
        prompt
            .arguments
            .iter()
            .map(|argument| (argument.name.to_string(), value(argument.name).to_string()))
            .collect()
    }

    fn text(result: &Value) -> &str {
        result["messages"][0]["content"]["text"].as_str().unwrap()
    }

    /// Words in a text that are written like tool names (a verb, an underscore, more).
    fn tool_like_names(text: &str) -> Vec<&str> {
        const VERBS: [&str; 9] = [
            "list_",
            "get_",
            "create_",
            "update_",
            "delete_",
            "send_",
            "download_",
            "upload_",
            "convert_",
        ];
        text.split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .filter(|word| VERBS.iter().any(|verb| word.starts_with(verb)))
            .collect()
    }

    #[test]
    fn every_tool_a_prompt_names_exists() {
        let tools: Vec<&str> = facturation_pro_catalog::TOOLS
            .iter()
            .map(|tool| tool.name)
            .collect();
        for prompt in PROMPTS {
            let rendered = render(prompt.name, &all_arguments(prompt)).unwrap();
            let named = tool_like_names(text(&rendered));
            assert!(named.len() >= 3, "{} names too few tools", prompt.name);
            for name in named {
                assert!(
                    tools.contains(&name),
                    "{} names {name}, no such tool",
                    prompt.name
                );
            }
        }
    }

    #[test]
    fn the_invoice_prompt_drafts_first_and_asks_before_what_cannot_be_undone() {
        let rendered = render("invoice_customer", &arguments(&[("customer", "Acme")])).unwrap();
        let text = text(&rendered);
        let position = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} missing from {text}"))
        };
        assert!(position("`list_customers`") < position("`create_invoice`"));
        assert!(position("`type_doc: \"draft\"`") < position("`type_doc: \"final\"`"));
        assert!(position("`update_invoice`") < position("`send_invoice_email`"));
        assert!(text.contains("\"Acme\"") && text.contains("explicit go-ahead"));
        assert!(text.contains("configured firm"));
        assert_eq!(rendered["messages"][0]["role"], "user");
    }

    #[test]
    fn arguments_are_checked() {
        let refused = |name: &str, pairs: &[(&str, &str)]| match render(name, &arguments(pairs)) {
            Err(LibraryError::InvalidParams(message)) => message,
            other => panic!("{name} {pairs:?} was accepted: {other:?}"),
        };
        assert!(refused("invoice_customer", &[]).contains("needs the argument `customer`"));
        assert!(refused("invoice_customer", &[("customer", "  ")]).contains("`customer`"));
        assert!(
            refused("invoice_customer", &[("customer", "A"), ("colour", "x")])
                .contains("no argument `colour`")
        );
        assert!(
            refused("invoice_customer", &[("customer", "A"), ("firm_id", "abc")])
                .contains("`firm_id` must be a positive integer")
        );
        for month in [
            "2025-13", "2025-1", "25-10", "2025/10", "2025-00", "october",
        ] {
            assert!(
                refused("month_end_summary", &[("month", month)]).contains("YYYY-MM"),
                "{month}"
            );
        }
        assert!(refused("no_such_prompt", &[]).contains("Unknown prompt: no_such_prompt"));
    }

    #[test]
    fn the_month_and_firm_reach_the_text() {
        let rendered = render(
            "month_end_summary",
            &arguments(&[("month", "2025-10"), ("firm_id", "1002")]),
        )
        .unwrap();
        let text = text(&rendered);
        assert!(text.contains("`period_start: \"2025-10\"`"), "{text}");
        assert!(text.contains("`firm_id: 1002`"), "{text}");
    }

    #[test]
    fn every_prompt_has_a_bilingual_title_and_described_arguments() {
        for prompt in list().value {
            assert!(
                prompt["title"].as_str().unwrap().contains(" / "),
                "{prompt}"
            );
            for argument in prompt["arguments"].as_array().unwrap() {
                assert!(argument["description"].as_str().unwrap().len() > 10);
            }
        }
    }
}
