//! Quotes, invoices, credit notes, settlements, PDFs and e-mails over HTTP.

use serde_json::{Value, json};

use super::super::Emulator;
use super::super::clock::today;
use super::{Reply, api, created, empty, field_errors, id_of, ids};

fn customer(emulator: &Emulator, name: &str, email: &str) -> u64 {
    emulator.insert_customer(1001, json!({"company_name": name, "email": email}))
}

fn line(title: &str, quantity: f64, price: f64) -> Value {
    json!({"title": title, "quantity": quantity, "unit_price": price, "vat": "0.200"})
}

/// A finalized invoice of 500 + 200 before tax (840 with 20 % VAT).
fn final_invoice(emulator: &Emulator, customer: u64) -> u64 {
    let body = json!({
        "customer_id": customer, "title": "Facturation mensuelle", "invoiced_on": "2025-10-06",
        "items": [line("Affichage pub 1", 1.0, 500.0), line("Affichage pub 2", 1.0, 200.0)]
    });
    id_of(&created(emulator, "/firms/1001/invoices.json", body))
}

fn record(emulator: &Emulator, resource: &str, id: u64) -> Value {
    emulator
        .record(1001, resource, id)
        .unwrap_or_else(|| panic!("{resource} {id} is not stored"))
}

#[test]
fn quote_totals_come_from_the_lines() {
    let emulator = empty();
    let claire = emulator.insert_customer(
        1001,
        json!({"company_name": "Claire Dubois", "pay_before": "45fm"}),
    );
    let reply = created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({
            "customer_id": claire, "title": "Site", "invoiced_on": "2025-10-06",
            "rebate_percentage": "10",
            "items": [
                {"quantity": "2", "title": "Design", "unit_price": "450", "vat": "0.200"},
                {"quantity": 3, "title": "Livre", "unit_price": 20.5, "vat": 0.055},
                {"style": "comment", "title": "Livraison sous 15 jours"},
                {"quantity": "1", "title": "Hébergement", "unit_price": "100", "vat": "0.2",
                 "optional": true}
            ]
        }),
    );
    let quote = reply.json();
    let id = id_of(&reply);
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/quotes/{id}.json").as_str())
    );
    let lines = quote["items"].as_array().expect("lines");
    let totals: Vec<&Value> = lines.iter().map(|line| &line["total"]).collect();
    assert_eq!(
        totals,
        [
            &json!("900.0"),
            &json!("61.5"),
            &Value::Null,
            &json!("100.0")
        ]
    );
    assert_eq!(lines[1]["vat"], "0.055");
    assert_eq!(lines[0]["quantity"], "2.0");
    let line_ids: Vec<u64> = lines
        .iter()
        .map(|line| line["id"].as_u64().expect("id"))
        .collect();
    assert!(line_ids.windows(2).all(|pair| pair[0] != pair[1]) && !line_ids.contains(&id));
    // (900 + 61.5) less 10 %, the optional line left out; VAT per rate on the rebated bases.
    assert_eq!(quote["total"], "865.35");
    assert_eq!(quote["total_with_vat"], "1030.39");
    assert_eq!(quote["quote_ref"], 1);
    assert_eq!(quote["quote_status"], 0);
    assert_eq!(quote["pay_before"], "45fm", "inherited from the customer");
    assert_eq!(quote["currency"], "EUR");
    assert_eq!(quote["term_on"], "2025-11-05", "valid 30 days");
    assert_eq!(quote["customer_identity"], "Claire Dubois");
    assert_eq!(quote["invoice_ids"], json!([]));
    assert_eq!(record(&emulator, "quotes", id)["total"], "865.35");

    let second = created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": claire, "items": [line("Audit", 1.0, 10.0)]}),
    );
    assert_eq!(second.json()["quote_ref"], 2);
    assert_eq!(second.json()["invoiced_on"], today());

    let invalid = api(
        &emulator,
        "POST",
        "/firms/1001/quotes.json",
        Some(json!({"customer_id": 1, "items": [], "quote_status": 4})),
    );
    let errors = field_errors(&invalid);
    assert_eq!(
        errors["customer_id"][0],
        "does not match any customer of this firm"
    );
    assert_eq!(errors["items"][0], "must contain at least one line");
    assert_eq!(errors["quote_status"][0], "must be one of: 0, 1, 9");
    let percent = api(
        &emulator,
        "POST",
        "/firms/1001/quotes.json",
        Some(
            json!({"customer_id": claire, "items": [{"title": "X", "unit_price": "1", "vat": 20}]}),
        ),
    );
    assert!(
        field_errors(&percent)["items[0].vat"][0]
            .as_str()
            .expect("message")
            .contains("between 0 and 1")
    );
    assert_eq!(emulator.records(1001, "quotes").len(), 2, "nothing stored");
}

#[test]
fn quote_updates_add_change_and_remove_lines() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let quote = created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "items": [line("A", 2.0, 100.0), line("B", 1.0, 50.0)]}),
    )
    .json();
    let id = quote["id"].as_u64().expect("id");
    let path = format!("/firms/1001/quotes/{id}.json");
    let (a, b) = (&quote["items"][0]["id"], &quote["items"][1]["id"]);

    let patch = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({
            "quote_status": "1",
            "items": [
                {"id": a.to_string(), "quantity": "3"},
                {"id": b, "_destroy": "1"},
                {"title": "C", "unit_price": "10", "quantity": "4"}
            ]
        })),
    );
    assert_eq!(patch.status, 200);
    assert!(patch.body.is_empty());
    let stored = record(&emulator, "quotes", id);
    assert_eq!(stored["quote_status"], 1);
    let lines = stored["items"].as_array().expect("lines");
    let summary: Vec<(&str, &str)> = lines
        .iter()
        .map(|line| {
            (
                line["title"].as_str().unwrap(),
                line["quantity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [("A", "3.0"), ("C", "4.0")]);
    assert_eq!(&lines[0]["id"], a, "a changed line keeps its id");
    assert_eq!(stored["total"], "340.0");
    assert_eq!(stored["total_with_vat"], "408.0");

    let foreign_line = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"items": [{"id": 1, "quantity": 2}]})),
    );
    assert_eq!(
        field_errors(&foreign_line)["items[0].id"][0],
        "is not a line of this document"
    );
    let c = &lines[1]["id"];
    let emptied = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"items": [{"id": a, "_destroy": "1"}, {"id": c, "_destroy": true}]})),
    );
    assert_eq!(
        field_errors(&emptied)["items"][0],
        "must contain at least one line"
    );
    assert_eq!(
        record(&emulator, "quotes", id)["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let accepted = api(&emulator, "GET", "/firms/1001/quotes.json?status=1", None);
    assert_eq!(ids(&accepted), [id]);
    let pending = api(&emulator, "GET", "/firms/1001/quotes.json?status=0", None);
    assert!(ids(&pending).is_empty());
    let to_invoice = api(
        &emulator,
        "GET",
        "/firms/1001/quotes.json?status=to_invoice",
        None,
    );
    assert_eq!(ids(&to_invoice), [id]);

    assert_eq!(api(&emulator, "DELETE", &path, None).status, 200);
    assert_eq!(api(&emulator, "GET", &path, None).status, 404);
}

#[test]
fn converting_a_quote_makes_a_linked_invoice() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let quote = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({
            "customer_id": acme, "title": "Audit", "pay_before": "30-inv",
            "items": [
                line("Audit", 2.0, 450.0),
                {"title": "Suivi", "quantity": 1, "unit_price": 100, "optional": true}
            ]
        }),
    ));
    let quote_line = record(&emulator, "quotes", quote)["items"][0]["id"].clone();

    let reply = api(
        &emulator,
        "POST",
        &format!("/firms/1001/quotes/{quote}/invoice.json"),
        None,
    );
    assert_eq!(reply.status, 201);
    let invoice = reply.json();
    let invoice_id = id_of(&reply);
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/invoices/{invoice_id}.json").as_str())
    );
    assert_eq!(invoice["quote_id"], quote);
    assert_eq!(invoice["customer_id"], acme);
    assert_eq!(invoice["draft"], false);
    let month: String = today()
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    assert_eq!(invoice["invoice_ref"], format!("{month}-1"));
    assert_eq!(invoice["invoiced_on"], today());
    assert_eq!(invoice["pay_before"], "30-inv");
    assert_eq!(invoice["total"], "900.0", "the option was not taken");
    assert_eq!(invoice["total_with_vat"], "1080.0");
    let lines = invoice["items"].as_array().expect("lines");
    assert_eq!(lines.len(), 1);
    assert_ne!(lines[0]["id"], quote_line, "the invoice has its own lines");

    let quote_after = record(&emulator, "quotes", quote);
    assert_eq!(quote_after["invoice_ids"], json!([invoice_id]));
    assert_eq!(quote_after["amount_invoiced"], "900.0");
    assert_eq!(quote_after["fully_invoiced"], true);
    assert_eq!(quote_after["quote_status"], 1);
    assert_eq!(
        emulator.customer(1001, acme).unwrap()["last_invoiced_on"],
        today(),
        "an invoiced customer can no longer be deleted"
    );
    let invoiced = api(
        &emulator,
        "GET",
        "/firms/1001/quotes.json?status=invoiced",
        None,
    );
    assert_eq!(ids(&invoiced), [quote]);

    let again = api(
        &emulator,
        "POST",
        &format!("/firms/1001/quotes/{quote}/invoice.json"),
        None,
    );
    assert!(
        field_errors(&again)["base"][0]
            .as_str()
            .unwrap()
            .contains("already")
    );
    let refused = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "quote_status": 9, "items": [line("X", 1.0, 1.0)]}),
    ));
    let refused_reply = api(
        &emulator,
        "POST",
        &format!("/firms/1001/quotes/{refused}/invoice.json"),
        None,
    );
    assert_eq!(refused_reply.status, 422);
    assert_eq!(emulator.records(1001, "invoices").len(), 1);
    assert_eq!(
        api(&emulator, "POST", "/firms/1001/quotes/1/invoice.json", None).status,
        404
    );
}

#[test]
fn drafts_are_unnumbered_and_deletable_final_invoices_are_neither() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let draft_body = json!({
        "customer_id": acme, "invoiced_on": "2025-10-06", "items": [line("A", 1.0, 100.0)]
    });
    let draft = created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        draft_body.clone(),
    );
    assert_eq!(draft.json()["draft"], true);
    assert_eq!(draft.json()["invoice_ref"], Value::Null);
    assert_eq!(draft.json()["full_invoice_ref"], Value::Null);
    let draft = id_of(&draft);
    assert_eq!(
        emulator.customer(1001, acme).unwrap()["last_invoiced_on"],
        Value::Null
    );
    let path = format!("/firms/1001/invoices/{draft}.json");
    let first_line = record(&emulator, "invoices", draft)["items"][0]["id"].clone();
    let changed = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"items": [{"id": first_line, "unit_price": "150"}], "currency": "USD"})),
    );
    assert_eq!(changed.status, 200);
    assert_eq!(record(&emulator, "invoices", draft)["total"], "150.0");
    assert_eq!(api(&emulator, "DELETE", &path, None).status, 200);
    assert!(emulator.record(1001, "invoices", draft).is_none());

    let second = id_of(&created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        draft_body,
    ));
    let finalize = api(
        &emulator,
        "PATCH",
        &format!("/firms/1001/invoices/{second}.json?type_doc=final"),
        Some(json!({"title": "Finalisée"})),
    );
    assert_eq!(finalize.status, 200);
    let finalized = record(&emulator, "invoices", second);
    assert_eq!(finalized["draft"], false);
    assert_eq!(finalized["invoice_ref"], "202510-1");
    assert_eq!(finalized["full_invoice_ref"], "202510-1");
    assert_eq!(finalized["term_on"], "2025-11-05");
    let next = final_invoice(&emulator, acme);
    assert_eq!(
        record(&emulator, "invoices", next)["invoice_ref"],
        "202510-2"
    );
    assert_eq!(
        emulator.customer(1001, acme).unwrap()["last_invoiced_on"],
        "2025-10-06"
    );

    let path = format!("/firms/1001/invoices/{next}.json");
    let refused = api(&emulator, "DELETE", &path, None);
    assert!(
        field_errors(&refused)["base"][0]
            .as_str()
            .unwrap()
            .contains("credit note")
    );
    assert!(emulator.record(1001, "invoices", next).is_some());
    let locked = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"items": [line("B", 1.0, 1.0)], "currency": "USD", "rebate_percentage": 5})),
    );
    let locked = field_errors(&locked);
    for field in ["items", "currency", "rebate_percentage"] {
        assert!(
            locked[field][0].as_str().unwrap().contains("finalized"),
            "{field}"
        );
    }
    let back_to_draft = api(
        &emulator,
        "PATCH",
        &format!("{path}?type_doc=draft"),
        Some(json!({})),
    );
    assert!(field_errors(&back_to_draft)["type_doc"].is_array());
    let payment = api(
        &emulator,
        "PATCH",
        &path,
        Some(
            json!({"paid_on": "2025-10-25", "payment_mode": 1, "information": "Merci", "currency": "EUR"}),
        ),
    );
    assert_eq!(payment.status, 200);
    let paid = record(&emulator, "invoices", next);
    assert_eq!(
        (paid["paid_on"].as_str(), paid["payment_mode"].as_i64()),
        (Some("2025-10-25"), Some(1))
    );
    assert_eq!(paid["balance"], "0.0");

    let paid_list = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?bill_type=paid",
        None,
    );
    assert_eq!(ids(&paid_list), [next]);
    let unpaid_list = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?bill_type=unpaid",
        None,
    );
    assert_eq!(ids(&unpaid_list), [second]);
}

#[test]
fn refunds_negate_the_invoice_and_point_back_to_it() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let invoice = final_invoice(&emulator, acme);
    let reply = api(
        &emulator,
        "POST",
        &format!(
            "/firms/1001/invoices/{invoice}/refund.json?api_id=32&api_custom=geste+commercial"
        ),
        None,
    );
    assert_eq!(reply.status, 201);
    let refund = reply.json();
    let refund_id = id_of(&reply);
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/invoices/{refund_id}.json").as_str())
    );
    assert_eq!(refund["refund_id"], invoice);
    assert_eq!(refund["total"], "-700.0");
    assert_eq!(refund["total_with_vat"], "-840.0");
    assert_eq!(refund["paid_in_main_currency"], "-840.0");
    assert_eq!(refund["paid_on"], today());
    assert_eq!(refund["payment_mode"], 99);
    assert_eq!(refund["api_id"], 32);
    assert_eq!(refund["api_custom"], "geste commercial");
    assert_eq!(refund["customer_id"], acme);
    let quantities: Vec<&Value> = refund["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["quantity"])
        .collect();
    assert_eq!(quantities, [&json!("-1.0"), &json!("-1.0")]);
    let month: String = today()
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    assert_eq!(refund["invoice_ref"], format!("{month}-2"));

    let original = record(&emulator, "invoices", invoice);
    assert_eq!(original["paid_on"], today(), "cancelled by the credit note");
    assert_eq!(original["payment_mode"], 90);
    assert_eq!(original["balance"], "0.0");
    let refunds = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?bill_type=refund",
        None,
    );
    assert_eq!(ids(&refunds), [refund_id]);

    for target in [invoice, refund_id] {
        let again = api(
            &emulator,
            "POST",
            &format!("/firms/1001/invoices/{target}/refund.json"),
            None,
        );
        assert_eq!(again.status, 422, "{target}");
    }
    let draft = id_of(&created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        json!({"customer_id": acme, "items": [line("A", 1.0, 1.0)]}),
    ));
    let draft_refund = api(
        &emulator,
        "POST",
        &format!("/firms/1001/invoices/{draft}/refund.json"),
        None,
    );
    assert_eq!(draft_refund.status, 422);
    let bad_id = api(
        &emulator,
        "POST",
        &format!("/firms/1001/invoices/{invoice}/refund.json?api_id=x"),
        None,
    );
    assert_eq!(bad_id.status, 422);
}

#[test]
fn settlements_pay_the_invoice_and_deleting_one_unpays_it() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let invoice = final_invoice(&emulator, acme);
    let base = format!("/firms/1001/invoices/{invoice}/settlements");
    let first = created(
        &emulator,
        &format!("{base}.json"),
        json!({"total": "300", "payment_mode": 4, "paid_on": "2025-10-20"}),
    );
    let first_id = id_of(&first);
    assert_eq!(
        first.header("location"),
        Some(format!("{base}/{first_id}.json").as_str())
    );
    assert_eq!(
        first.json(),
        json!({"id": first_id, "invoice_id": invoice, "total": "300.0", "payment_mode": 4,
               "paid_on": "2025-10-20", "payment_ref": null})
    );
    let partly = record(&emulator, "invoices", invoice);
    assert_eq!(
        (&partly["paid_on"], &partly["balance"]),
        (&Value::Null, &json!("540.0"))
    );

    let too_much = api(
        &emulator,
        "POST",
        &format!("{base}.json"),
        Some(json!({"total": "600", "payment_mode": 3})),
    );
    assert_eq!(
        field_errors(&too_much)["total"][0],
        "exceeds the amount still due on the invoice (540.0)"
    );
    let nothing = api(
        &emulator,
        "POST",
        &format!("{base}.json"),
        Some(json!({"total": 0})),
    );
    let nothing = field_errors(&nothing);
    assert_eq!(nothing["total"][0], "must be greater than 0");
    assert!(nothing["payment_mode"].is_array());

    let last = id_of(&created(
        &emulator,
        &format!("{base}.json"),
        json!({"total": 540, "payment_mode": 3, "paid_on": "2025-10-28", "payment_ref": "VIR-42"}),
    ));
    let paid = record(&emulator, "invoices", invoice);
    assert_eq!(
        paid["paid_on"], "2025-10-28",
        "the date of the last settlement"
    );
    assert_eq!(paid["payment_mode"], 3);
    assert_eq!(paid["balance"], "0.0");
    assert_eq!(paid["settlements"].as_array().unwrap().len(), 2);
    assert_eq!(
        emulator.customer(1001, acme).unwrap()["last_paid_on"],
        "2025-10-28"
    );

    let listed = api(&emulator, "GET", &format!("{base}.json"), None);
    assert_eq!(ids(&listed), [first_id, last]);
    assert_eq!(listed.pagination()["total_entries"], 2);
    let shown = api(&emulator, "GET", &format!("{base}/{last}.json"), None);
    assert_eq!(shown.json()["payment_ref"], "VIR-42");
    let plain_list = api(&emulator, "GET", "/firms/1001/invoices.json", None);
    assert!(plain_list.json()[0].get("settlements").is_none());
    let detailed_list = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?with_settlements=1",
        None,
    );
    assert_eq!(
        detailed_list.json()[0]["settlements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let other = final_invoice(&emulator, acme);
    let elsewhere = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{other}/settlements/{last}.json"),
        None,
    );
    assert_eq!(elsewhere.status, 404);

    assert_eq!(
        api(&emulator, "DELETE", &format!("{base}/{last}.json"), None).status,
        200
    );
    let unpaid = record(&emulator, "invoices", invoice);
    assert_eq!(unpaid["paid_on"], Value::Null);
    assert_eq!(unpaid["payment_mode"], 0);
    assert_eq!(unpaid["balance"], "540.0");
    assert_eq!(emulator.records(1001, "settlements").len(), 1);

    let draft = id_of(&created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        json!({"customer_id": acme, "items": [line("A", 1.0, 1.0)]}),
    ));
    let on_draft = api(
        &emulator,
        "POST",
        &format!("/firms/1001/invoices/{draft}/settlements.json"),
        Some(json!({"total": "1", "payment_mode": 3})),
    );
    assert!(field_errors(&on_draft)["base"].is_array());
}

#[test]
fn pdfs_are_real_documents_with_their_variants() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let quote = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "items": [line("Audit", 1.0, 100.0)]}),
    ));
    let plain = api(
        &emulator,
        "GET",
        &format!("/firms/1001/quotes/{quote}.pdf"),
        None,
    );
    let proforma = api(
        &emulator,
        "GET",
        &format!("/firms/1001/quotes/{quote}.pdf?proforma=1"),
        None,
    );
    for pdf in [&plain, &proforma] {
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF-1.4") && pdf.body.ends_with(b"%%EOF\n"));
    }
    let text = |reply: &Reply| String::from_utf8_lossy(&reply.body).into_owned();
    assert!(text(&plain).contains("(DEVIS N\\260 1) Tj"));
    assert!(!text(&plain).contains("PRO FORMA"));
    assert!(text(&proforma).contains("(FACTURE PRO FORMA) Tj"));
    assert!(text(&plain).contains("(Total TTC : 120.0 EUR) Tj"));

    let invoice = final_invoice(&emulator, acme);
    let unpaid = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{invoice}.pdf"),
        None,
    );
    let unpaid_original = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{invoice}.pdf?original=1"),
        None,
    );
    assert_eq!(unpaid.body, unpaid_original.body, "nothing to stamp yet");
    api(
        &emulator,
        "PATCH",
        &format!("/firms/1001/invoices/{invoice}.json"),
        Some(json!({"paid_on": "2025-10-25", "payment_mode": 3})),
    );
    let stamped = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{invoice}.pdf"),
        None,
    );
    let original = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{invoice}.pdf?original=1"),
        None,
    );
    assert!(stamped.body.starts_with(b"%PDF") && original.body.starts_with(b"%PDF"));
    assert!(text(&stamped).contains("(ACQUITT\\311E le 2025-10-25 \\(virement\\).) Tj"));
    assert!(!text(&original).contains("ACQUITT"));
    assert!(text(&original).contains("(FACTURE N\\260 202510-1) Tj"));
    assert!(
        stamped
            .header("content-disposition")
            .unwrap()
            .contains("facture-202510-1.pdf")
    );

    assert_eq!(
        api(
            &emulator,
            "GET",
            &format!("/firms/1001/quotes/{quote}.txt"),
            None
        )
        .status,
        404
    );
    assert_eq!(
        api(&emulator, "GET", "/firms/1001/invoices/1.pdf", None).status,
        404
    );
}

#[test]
fn emails_are_recorded_with_the_customer_address_by_default() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let quote = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "items": [line("Audit", 1.0, 100.0)]}),
    ));
    let sent = api(
        &emulator,
        "POST",
        &format!("/firms/1001/emails.json?bill_id={quote}"),
        None,
    );
    assert_eq!(sent.status, 201);
    let invoice = final_invoice(&emulator, acme);
    let explicit = api(
        &emulator,
        "POST",
        &format!("/firms/1001/emails.json?bill_id={invoice}"),
        Some(
            json!({"to": "boss@acme.test", "cc": "a@acme.test", "bcc": "b@acme.test",
                    "subject": "Votre facture", "message": "Merci"}),
        ),
    );
    assert_eq!(explicit.status, 201);

    let emails = emulator.sent_emails();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[0]["bill_id"], quote);
    assert_eq!(emails[0]["bill_type"], "quote");
    assert_eq!(emails[0]["to"], "compta@acme.test");
    assert_eq!(emails[0]["cc"], Value::Null);
    assert_eq!(emails[0]["subject"], "Devis n° 1");
    assert_eq!(emails[0]["template"], "quote");
    assert_eq!(emails[1]["firm_id"], 1001);
    assert_eq!(emails[1]["bill_type"], "invoice");
    for (member, value) in [
        ("to", "boss@acme.test"),
        ("cc", "a@acme.test"),
        ("bcc", "b@acme.test"),
        ("subject", "Votre facture"),
        ("message", "Merci"),
    ] {
        assert_eq!(emails[1][member], value, "{member}");
    }

    let draft = id_of(&created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        json!({"customer_id": acme, "items": [line("A", 1.0, 1.0)]}),
    ));
    let to_draft = api(
        &emulator,
        "POST",
        &format!("/firms/1001/emails.json?bill_id={draft}"),
        None,
    );
    assert!(field_errors(&to_draft)["base"].is_array());
    let nobody = emulator.insert_customer(1001, json!({"company_name": "Sans adresse"}));
    let silent = final_invoice(&emulator, nobody);
    let no_address = api(
        &emulator,
        "POST",
        &format!("/firms/1001/emails.json?bill_id={silent}"),
        None,
    );
    assert!(field_errors(&no_address)["to"].is_array());
    let bad_address = api(
        &emulator,
        "POST",
        &format!("/firms/1001/emails.json?bill_id={quote}"),
        Some(json!({"to": "not an address"})),
    );
    assert!(field_errors(&bad_address)["to"].is_array());
    assert_eq!(
        api(&emulator, "POST", "/firms/1001/emails.json?bill_id=1", None).status,
        404
    );
    assert_eq!(
        emulator.sent_emails().len(),
        2,
        "refused e-mails are not sent"
    );
}

#[test]
fn customer_shortcuts_lead_to_lists_filtered_on_the_customer() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let zen = customer(&emulator, "Zen", "zen@example.test");
    let mine = [
        final_invoice(&emulator, acme),
        final_invoice(&emulator, acme),
    ];
    final_invoice(&emulator, zen);
    let my_quote = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "items": [line("A", 1.0, 1.0)]}),
    ));
    created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": zen, "items": [line("A", 1.0, 1.0)]}),
    );
    for (list, expected) in [
        ("invoices", vec![mine[1], mine[0]]),
        ("quotes", vec![my_quote]),
    ] {
        let shortcut = api(
            &emulator,
            "GET",
            &format!("/firms/1001/customers/{acme}/{list}.json"),
            None,
        );
        assert_eq!(shortcut.status, 302);
        let location = shortcut.header("location").expect("location").to_owned();
        assert_eq!(
            location,
            format!("/firms/1001/{list}.json?customer_id={acme}")
        );
        let followed = api(&emulator, "GET", &location, None);
        assert_eq!(ids(&followed), expected, "{list}");
        assert_eq!(followed.pagination()["total_entries"], expected.len());
    }
}

#[test]
fn invoice_lists_paginate_filter_and_sort() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let zen = customer(&emulator, "Zen", "zen@example.test");
    let inserted: Vec<u64> = (0..120)
        .map(|n| {
            emulator.insert_record(
                1001,
                "invoices",
                json!({"customer_id": acme, "title": format!("Facture {n:03}"), "invoiced_on": "2025-09-01",
                       "items": [line("A", 1.0, f64::from(n) + 1.0)]}),
            )
        })
        .collect();
    let first = api(&emulator, "GET", "/firms/1001/invoices.json", None);
    assert_eq!(
        first.header("x-pagination"),
        Some(r#"{"current_page":1,"total_pages":3,"per_page":50,"total_entries":120}"#)
    );
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 50);
    assert_eq!(first_ids[0], inserted[119], "highest number first");
    assert!(
        first.json()[0].get("items").is_none(),
        "lines only on request"
    );
    let with_details = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?with_details=1",
        None,
    );
    assert_eq!(with_details.json()[0]["items"].as_array().unwrap().len(), 1);
    let last = api(&emulator, "GET", "/firms/1001/invoices.json?page=3", None);
    assert_eq!(
        ids(&last),
        inserted[..20].iter().rev().copied().collect::<Vec<_>>()
    );
    let ascending = api(&emulator, "GET", "/firms/1001/invoices.json?sort=asc", None);
    assert_eq!(ids(&ascending)[0], inserted[0]);
    let by_total = api(
        &emulator,
        "GET",
        "/firms/1001/invoices.json?order=total&sort=desc",
        None,
    );
    assert_eq!(
        by_total.json()[0]["total"],
        "120.0",
        "numeric, not alphabetical"
    );

    let paid = emulator.insert_record(
        1001,
        "invoices",
        json!({"customer_id": zen, "invoiced_on": "2025-08-10", "paid_on": "2025-08-20", "payment_mode": 3,
               "payment_ref": "CHQ-77", "items": [line("B", 1.0, 10.0)]}),
    );
    let overdue = emulator.insert_record(
        1001,
        "invoices",
        json!({"customer_id": zen, "invoiced_on": "2025-10-02", "term_on": "2000-01-31",
               "items": [line("C", 1.0, 10.0)]}),
    );
    let draft = emulator.insert_record(
        1001,
        "invoices",
        json!({"customer_id": zen, "draft": true, "invoiced_on": "2025-10-15", "items": [line("D", 1.0, 10.0)]}),
    );
    let query = |params: &str| {
        let reply = api(
            &emulator,
            "GET",
            &format!("/firms/1001/invoices.json?{params}"),
            None,
        );
        assert_eq!(reply.status, 200, "{params}");
        ids(&reply)
    };
    assert_eq!(query("bill_type=paid"), [paid]);
    assert_eq!(query("bill_type=draft"), [draft]);
    // The 120 invoices of September are overdue too (pay within 30 days).
    assert_eq!(
        query(&format!("bill_type=term&customer_id={zen}")),
        [overdue]
    );
    assert_eq!(query("bill_type=term").len(), 50);
    assert_eq!(query("company=ZEN"), [overdue, paid, draft]);
    assert_eq!(
        query("period_start=2025-08&period_end=2025-08"),
        [paid],
        "payment period"
    );
    assert_eq!(
        query("period_type=billed&period_start=2025-10&period_end=2025-10-31"),
        [overdue, draft]
    );
    assert_eq!(query("payment_ref=chq"), [paid]);
    let paid_ref = record(&emulator, "invoices", paid)["invoice_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(query(&format!("full_invoice_ref={paid_ref}")), [paid]);
    // Zen after Acme; equal keys keep id order in the same direction.
    assert_eq!(query("order=customer&sort=desc").first(), Some(&draft));
    for bad in [
        "bill_type=open",
        "period_start=2025-13",
        "order=colour",
        "period_type=due",
    ] {
        let reply = api(
            &emulator,
            "GET",
            &format!("/firms/1001/invoices.json?{bad}"),
            None,
        );
        assert_eq!(reply.status, 422, "{bad}");
    }
}

#[test]
fn customers_own_their_quotes_and_archived_ones_are_not_billed() {
    let emulator = empty();
    let acme = customer(&emulator, "Acme", "compta@acme.test");
    let quote = id_of(&created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": acme, "items": [line("A", 1.0, 1.0)]}),
    ));
    emulator.insert_record(1001, "assets", json!({"quote_id": quote, "content": "x"}));
    let deleted = api(
        &emulator,
        "DELETE",
        &format!("/firms/1001/customers/{acme}.json"),
        None,
    );
    assert_eq!(deleted.status, 200);
    assert!(
        emulator.record(1001, "quotes", quote).is_none(),
        "its quotes go with it"
    );
    assert!(emulator.records(1001, "assets").is_empty());

    let archived = emulator.insert_customer(
        1001,
        json!({"company_name": "Ancien client", "archived": true}),
    );
    let refused = api(
        &emulator,
        "POST",
        "/firms/1001/invoices.json",
        Some(json!({"customer_id": archived, "items": [line("A", 1.0, 1.0)]})),
    );
    assert!(
        field_errors(&refused)["customer_id"][0]
            .as_str()
            .unwrap()
            .contains("archived")
    );

    let imported = created(
        &emulator,
        "/firms/1001/invoices.json?external=1",
        json!({"customer_id": customer(&emulator, "Zen", "zen@example.test"),
               "external_ref": "EXT-2024-17", "items": [line("A", 1.0, 1.0)]}),
    );
    assert_eq!(imported.json()["external"], true);
    assert_eq!(imported.json()["invoice_ref"], "EXT-2024-17");
    let without_ref = api(
        &emulator,
        "POST",
        "/firms/1001/invoices.json?external=1",
        Some(json!({"customer_id": 1, "items": [line("A", 1.0, 1.0)]})),
    );
    assert!(field_errors(&without_ref)["external_ref"].is_array());

    // Finalizing needs no body.
    let acme2 = customer(&emulator, "Acme 2", "a2@example.test");
    let draft = id_of(&created(
        &emulator,
        "/firms/1001/invoices.json?type_doc=draft",
        json!({"customer_id": acme2, "invoiced_on": "2025-10-06", "items": [line("A", 1.0, 1.0)]}),
    ));
    let finalize = api(
        &emulator,
        "PATCH",
        &format!("/firms/1001/invoices/{draft}.json?type_doc=final"),
        None,
    );
    assert_eq!(finalize.status, 200);
    assert_eq!(
        record(&emulator, "invoices", draft)["invoice_ref"],
        "202510-1",
        "external invoices use no number"
    );
}
