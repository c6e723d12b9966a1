//! Categories, followups, products, suppliers, purchases, recurring documents and the seed.

use serde_json::{Value, json};

use super::super::{Emulator, EmulatorConfig};
use super::{api, created, empty, field_errors, id_of, ids, start};

#[test]
fn categories_and_followups_are_simple_labelled_lists() {
    let emulator = empty();
    let reply = created(
        &emulator,
        "/firms/1001/categories.json",
        json!({"title": "Prestation de services", "status": "1"}),
    );
    let category = id_of(&reply);
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/categories/{category}.json").as_str())
    );
    assert_eq!(reply.json()["status"], 1);
    let customer = emulator.insert_customer(
        1001,
        json!({"company_name": "Acme", "category_id": category}),
    );
    let path = format!("/firms/1001/categories/{category}.json");
    let patch = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"title": "Outil SEO", "status": "2"})),
    );
    assert_eq!(patch.status, 200);
    let shown = api(&emulator, "GET", &path, None).json();
    assert_eq!(
        (shown["title"].as_str(), shown["status"].as_i64()),
        (Some("Outil SEO"), Some(2))
    );
    let invalid = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"title": " ", "status": 7})),
    );
    let invalid = field_errors(&invalid);
    assert_eq!(invalid["title"][0], "can't be blank");
    assert_eq!(invalid["status"][0], "must be one of: 0, 1, 2");
    let other = id_of(&created(
        &emulator,
        "/firms/1001/categories.json",
        json!({"title": "Banque"}),
    ));
    let query = |params: &str| {
        ids(&api(
            &emulator,
            "GET",
            &format!("/firms/1001/categories.json?{params}"),
            None,
        ))
    };
    assert_eq!(query("status=2"), [category]);
    assert_eq!(query("status=0"), [other], "0 (both) by default");
    assert_eq!(query("title=seo"), [category]);
    assert_eq!(query(""), [category, other]);
    assert_eq!(api(&emulator, "DELETE", &path, None).status, 200);
    assert_eq!(api(&emulator, "GET", &path, None).status, 404);
    assert_eq!(
        emulator.customer(1001, customer).unwrap()["category_id"],
        Value::Null,
        "the customer stays, without the category"
    );

    let followup = created(
        &emulator,
        "/firms/1001/followups.json",
        json!({"title": "A relancer", "status": 2}),
    );
    let followup = id_of(&followup);
    let quote = emulator.insert_record(
        1001,
        "quotes",
        json!({"customer_id": customer, "followup_id": followup, "items": [{"title": "A", "unit_price": 1}]}),
    );
    let builtin = emulator.insert_record(
        1001,
        "quotes",
        json!({"customer_id": customer, "followup_id": -1, "items": [{"title": "B", "unit_price": 1}]}),
    );
    let by_followup = api(
        &emulator,
        "GET",
        "/firms/1001/quotes.json?followup_id=-1",
        None,
    );
    assert_eq!(
        ids(&by_followup),
        [builtin],
        "built-in followups work in filters"
    );
    let bad = api(
        &emulator,
        "POST",
        "/firms/1001/followups.json",
        Some(json!({"title": "X", "status": 9})),
    );
    assert!(field_errors(&bad)["status"].is_array());
    assert_eq!(
        api(
            &emulator,
            "DELETE",
            &format!("/firms/1001/followups/{followup}.json"),
            None
        )
        .status,
        200
    );
    assert_eq!(
        emulator.record(1001, "quotes", quote).unwrap()["followup_id"],
        Value::Null
    );
    assert_eq!(
        api(&emulator, "GET", "/firms/1001/followups/0.json", None).status,
        404
    );
}

#[test]
fn products_keep_prices_as_the_service_writes_them() {
    let emulator = empty();
    let reply = created(
        &emulator,
        "/firms/1001/products.json",
        json!({"ref": "PAIMENT", "title": "Developpement passerelle de paiement", "unit_price": 200.0, "vat": 0.2}),
    );
    let product = reply.json();
    assert_eq!(product["unit_price"], "200.0");
    assert_eq!(product["vat"], "0.200");
    assert_eq!(product["nature"], 9);
    let id = id_of(&reply);
    created(
        &emulator,
        "/firms/1001/products.json",
        json!({"ref": "WORDPRESS", "title": "Module Wordpress", "unit_price": "150", "api_id": "77"}),
    );
    let percent = api(
        &emulator,
        "POST",
        "/firms/1001/products.json",
        Some(json!({"title": "TVA en pourcentage", "vat": 20})),
    );
    assert!(field_errors(&percent)["vat"].is_array());
    let untitled = api(
        &emulator,
        "POST",
        "/firms/1001/products.json",
        Some(json!({"unit_price": 1})),
    );
    assert!(field_errors(&untitled)["title"].is_array());

    let titles = |params: &str| -> Vec<String> {
        api(
            &emulator,
            "GET",
            &format!("/firms/1001/products.json?{params}"),
            None,
        )
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|product| product["title"].as_str().unwrap().to_owned())
        .collect()
    };
    assert_eq!(
        titles(""),
        ["Developpement passerelle de paiement", "Module Wordpress"]
    );
    assert_eq!(
        titles("order=ref&sort=desc"),
        ["Module Wordpress", "Developpement passerelle de paiement"]
    );
    assert_eq!(titles("ref=paim"), ["Developpement passerelle de paiement"]);
    assert_eq!(titles("api_id=77"), ["Module Wordpress"]);

    // A line naming a product takes its title, price and rate.
    let customer = emulator.insert_customer(1001, json!({"company_name": "Acme"}));
    let quote = created(
        &emulator,
        "/firms/1001/quotes.json",
        json!({"customer_id": customer, "items": [{"product_id": id, "quantity": 2}]}),
    )
    .json();
    assert_eq!(
        quote["items"][0]["title"],
        "Developpement passerelle de paiement"
    );
    assert_eq!(quote["total"], "400.0");

    let path = format!("/firms/1001/products/{id}.json");
    assert_eq!(
        api(
            &emulator,
            "PATCH",
            &path,
            Some(json!({"unit_price": "210,5"}))
        )
        .status,
        200
    );
    assert_eq!(
        emulator.record(1001, "products", id).unwrap()["unit_price"],
        "210.5"
    );
    assert_eq!(api(&emulator, "DELETE", &path, None).status, 200);
    assert_eq!(api(&emulator, "GET", &path, None).status, 404);
    assert_eq!(
        emulator.records(1001, "quotes")[0]["items"][0]["product_id"],
        id,
        "lines keep their product reference"
    );
}

#[test]
fn suppliers_and_their_purchases() {
    let emulator = empty();
    let reply = created(
        &emulator,
        "/firms/1001/suppliers.json",
        json!({"company_name": "Office Depot"}),
    );
    let supplier = reply.json();
    assert_eq!(supplier["account_code"], "401OFFICEDE");
    assert_eq!(supplier["short_name"], "Office Depot");
    assert!(supplier.get("sepa_iban").is_none());
    let office = id_of(&reply);
    let apple = id_of(&created(
        &emulator,
        "/firms/1001/suppliers.json",
        json!({"company_name": "Apple", "country": "US", "sepa_iban": "FR76123"}),
    ));
    let urssaf = emulator.insert_record(
        1001,
        "suppliers",
        json!({"company_name": "URSSAF", "system": true}),
    );
    let by_country = api(
        &emulator,
        "GET",
        "/firms/1001/suppliers.json?country=US&with_sepa=1",
        None,
    );
    assert_eq!(ids(&by_country), [apple]);
    assert_eq!(by_country.json()[0]["sepa_iban"], "FR76123");
    let nameless = api(
        &emulator,
        "POST",
        "/firms/1001/suppliers.json",
        Some(json!({"country": "France"})),
    );
    let nameless = field_errors(&nameless);
    assert!(nameless["company_name"].is_array() && nameless["country"].is_array());

    let purchase = created(
        &emulator,
        "/firms/1001/purchases.json",
        json!({"supplier_id": office, "invoiced_on": "2013-06-28", "title": "Restaurant",
               "total_with_vat": "100", "vat_amount": "16,39"}),
    );
    let body = purchase.json();
    assert_eq!(body["total_with_vat"], "100.0");
    assert_eq!(body["vat_amount"], "16.39");
    assert_eq!(body["total"], "83.61");
    assert_eq!(body["serial_number"], 1);
    assert_eq!(body["payment_mode"], 0);
    assert_eq!(body["supplier_identity"], "Office Depot");
    let restaurant = id_of(&purchase);
    let paid = id_of(&created(
        &emulator,
        "/firms/1001/purchases.json",
        json!({"supplier_id": apple, "invoiced_on": "2013-07-28", "title": "Ordinateur",
               "total_with_vat": "1200", "vat_amount": "200", "paid_on": "2013-07-28", "payment_mode": 20}),
    ));
    let contribution = emulator.insert_record(
        1001,
        "purchases",
        json!({"supplier_id": urssaf, "invoiced_on": "2013-07-05", "total_with_vat": "900", "draft": true}),
    );
    let invalid = api(
        &emulator,
        "POST",
        "/firms/1001/purchases.json",
        Some(json!({"supplier_id": 1, "payment_mode": 6})),
    );
    let invalid = field_errors(&invalid);
    for field in ["supplier_id", "payment_mode", "total_with_vat"] {
        assert!(invalid[field].is_array(), "{field}");
    }
    let query = |params: &str| {
        ids(&api(
            &emulator,
            "GET",
            &format!("/firms/1001/purchases.json?{params}"),
            None,
        ))
    };
    assert_eq!(
        query(""),
        [paid, contribution, restaurant],
        "newest purchase first"
    );
    assert_eq!(query("purchase_type=paid"), [paid]);
    assert_eq!(query("purchase_type=unpaid"), [restaurant]);
    assert_eq!(query("purchase_type=draft"), [contribution]);
    assert_eq!(query("company=office"), [restaurant]);
    assert_eq!(
        query("order=total&sort=asc"),
        [restaurant, contribution, paid]
    );
    assert_eq!(
        query("period_start=2013-07"),
        [paid],
        "payment period by default"
    );
    assert_eq!(query("period_type=billed&period_end=2013-06"), [restaurant]);
    assert_eq!(query("serial_number=2"), [paid]);

    let refused = api(
        &emulator,
        "DELETE",
        &format!("/firms/1001/suppliers/{urssaf}.json"),
        None,
    );
    assert!(field_errors(&refused)["base"].is_array());
    assert!(emulator.record(1001, "purchases", contribution).is_some());
    assert_eq!(
        api(
            &emulator,
            "DELETE",
            &format!("/firms/1001/suppliers/{office}.json"),
            None
        )
        .status,
        200
    );
    assert!(
        emulator.record(1001, "purchases", restaurant).is_none(),
        "its purchases go too"
    );
    assert!(emulator.record(1001, "purchases", paid).is_some());
    let path = format!("/firms/1001/purchases/{paid}.json");
    assert_eq!(
        api(
            &emulator,
            "PATCH",
            &path,
            Some(json!({"title": "Serveur virtuel"}))
        )
        .status,
        200
    );
    assert_eq!(
        emulator.record(1001, "purchases", paid).unwrap()["title"],
        "Serveur virtuel"
    );
    assert_eq!(api(&emulator, "DELETE", &path, None).status, 200);
    assert_eq!(api(&emulator, "GET", &path, None).status, 404);
}

#[test]
fn the_demo_month_is_consistent_and_reproducible() {
    let emulator = start(EmulatorConfig::default());
    let invoices = emulator.records(1001, "invoices");
    assert_eq!(invoices.len(), 3);
    let drafts: Vec<&Value> = invoices
        .iter()
        .filter(|invoice| invoice["draft"] == true)
        .collect();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0]["invoice_ref"], Value::Null);
    let paid: Vec<&Value> = invoices
        .iter()
        .filter(|invoice| !invoice["paid_on"].is_null())
        .collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["settlements"].as_array().unwrap().len(), 1);
    assert_eq!(paid[0]["balance"], "0.0");
    let unpaid = invoices
        .iter()
        .filter(|invoice| invoice["draft"] == false && invoice["paid_on"].is_null())
        .count();
    assert_eq!(unpaid, 1);
    let quotes = emulator.records(1001, "quotes");
    assert_eq!(quotes.len(), 2);
    assert_eq!(
        quotes
            .iter()
            .filter(|quote| quote["quote_status"] == 1)
            .count(),
        1
    );
    for (resource, count) in [
        ("products", 3),
        ("suppliers", 2),
        ("categories", 2),
        ("followups", 1),
        ("purchases", 2),
        ("recurring_invoices", 1),
        ("recurring_purchases", 1),
        ("assets", 4),
        ("settlements", 1),
    ] {
        assert_eq!(emulator.records(1001, resource).len(), count, "{resource}");
        assert!(emulator.records(1002, resource).is_empty(), "{resource}");
    }
    let owners: Vec<&str> = emulator
        .records(1001, "assets")
        .iter()
        .map(|asset| {
            ["quote_id", "invoice_id", "customer_id", "purchase_id"]
                .into_iter()
                .find(|key| asset.get(*key).is_some())
                .expect("an owner")
        })
        .collect();
    assert_eq!(
        owners,
        ["quote_id", "invoice_id", "customer_id", "purchase_id"]
    );

    let recurring = api(
        &emulator,
        "GET",
        "/firms/1001/recurring_invoices.json",
        None,
    );
    assert_eq!(recurring.pagination()["total_entries"], 1);
    assert_eq!(
        recurring.json()[0]["customer_identity"],
        "Boulangerie Martin SARL"
    );
    let id = recurring.json()[0]["id"].as_u64().unwrap();
    let shown = api(
        &emulator,
        "GET",
        &format!("/firms/1001/recurring_invoices/{id}.json"),
        None,
    );
    assert_eq!(shown.json()["frequency"], "monthly");
    assert_eq!(
        api(
            &emulator,
            "POST",
            "/firms/1001/recurring_invoices.json",
            Some(json!({}))
        )
        .status,
        405
    );
    let purchases = api(
        &emulator,
        "GET",
        "/firms/1001/recurring_purchases.json",
        None,
    );
    assert_eq!(
        purchases.json()[0]["supplier_identity"],
        "Nuage Hébergement SAS"
    );
    let asset = emulator.records(1001, "assets")[3]["id"].as_u64().unwrap();
    assert!(
        emulator
            .asset_bytes(1001, asset)
            .unwrap()
            .starts_with(b"%PDF")
    );

    let again = start(EmulatorConfig::default());
    for resource in [
        "customers",
        "quotes",
        "invoices",
        "assets",
        "settlements",
        "products",
    ] {
        let ids_of = |emulator: &Emulator| -> Vec<Value> {
            emulator
                .records(1001, resource)
                .iter()
                .map(|record| record["id"].clone())
                .collect()
        };
        assert_eq!(ids_of(&emulator), ids_of(&again), "{resource}");
    }
    assert_eq!(
        emulator.records(1001, "invoices")[0]["invoice_ref"],
        again.records(1001, "invoices")[0]["invoice_ref"]
    );
}
