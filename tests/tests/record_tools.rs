//! The record tools end to end: categories, suppliers, products, follow-ups and purchases
//! (recurring ones and receipts included). Each test drives the real binary over MCP against
//! the emulator and checks three things: what the tool returned, what the API received
//! (method, path, query, JSON body as sent), and what the emulator holds afterwards.
//! Line numbers in messages refer to the vendor reference, facturation-pro-api.fr.md.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use facturation_pro_emulator::harness::{
    TestSession, assert_json_body, assert_route, decimal, ids, sorted_pairs, sorted_query,
    upload_part, without,
};
use serde_json::{Value, json};

const FIRM: u64 = 1001;

fn insert(s: &TestSession, resource: &str, fields: Value) -> u64 {
    s.emulator.insert_record(FIRM, resource, fields)
}

fn stored(s: &TestSession, resource: &str, id: u64) -> Value {
    s.emulator
        .record(FIRM, resource, id)
        .unwrap_or_else(|| panic!("{resource} {id} is not stored"))
}

fn sorted(mut ids: Vec<u64>) -> Vec<u64> {
    ids.sort_unstable();
    ids
}

/// Every member the tool returned holds what the emulator stores.
fn assert_shows_stored(result: &Value, stored: &Value) {
    for (name, value) in result.as_object().unwrap() {
        if let Some(kept) = stored.get(name) {
            assert_eq!(value, kept, "field {name}: shown {value}, stored {kept}");
        }
    }
}

// Categories.

#[test]
fn list_categories_filters_on_title_and_status() {
    let mut s = TestSession::new();
    let conseil = insert(&s, "categories", json!({ "title": "Conseil", "status": 1 }));
    let banque = insert(&s, "categories", json!({ "title": "Banque", "status": 2 }));
    let postage = insert(
        &s,
        "categories",
        json!({ "title": "Affranchissement", "status": 2 }),
    );
    let fees = insert(
        &s,
        "categories",
        json!({ "title": "Frais bancaires", "status": 0 }),
    );
    let before = s.emulator.records(FIRM, "categories");

    let page = s.call("list_categories", json!({}));
    assert_eq!(
        sorted(ids(&page["categories"])),
        sorted(vec![conseil, banque, postage, fees])
    );
    assert_eq!(page["pagination"]["total_entries"], 4);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/categories.json");
    assert!(request.query.is_empty(), "{request:#?}");

    // "Frais bancaires" matches the title but is for both uses (status 0).
    let page = s.call(
        "list_categories",
        json!({ "title": "ban", "status": 2, "page": 1 }),
    );
    assert_eq!(ids(&page["categories"]), [banque]);
    assert_eq!(page["categories"][0]["title"], "Banque");
    assert_eq!(page["categories"][0]["status"], 2);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/categories.json");
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[("title", "ban"), ("status", "2"), ("page", "1")])
    );

    let page = s.call("list_categories", json!({ "status": 0 }));
    assert_eq!(ids(&page["categories"]), [fees]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("status", "0")])
    );

    for status in [json!(3), json!(-1), json!("2"), json!("sales")] {
        s.call_refused("list_categories", json!({ "status": status }), "status");
    }
    assert_eq!(s.emulator.records(FIRM, "categories"), before);
}

#[test]
fn create_category_sends_the_status_code_and_stores_it() {
    let mut s = TestSession::new();
    for status in [0, 1, 2] {
        let args = json!({ "title": format!("Prestation {status}"), "status": status });
        let created = s.call("create_category", args.clone());
        let id = created["id"].as_u64().expect("the new id");
        assert_eq!(created["title"], args["title"]);
        assert_eq!(created["status"], status);

        let request = s.only_request();
        assert_route(&request, "POST", "/firms/1001/categories.json");
        assert_eq!(request.status, 201);
        assert_json_body(&request, &args);
        let record = stored(&s, "categories", id);
        assert_eq!(record["title"], args["title"]);
        assert_eq!(record["status"], status);
        assert_shows_stored(&created, &record);
    }
    assert_eq!(s.emulator.records(FIRM, "categories").len(), 3);

    s.call_refused(
        "create_category",
        json!({ "title": "Bad", "status": 5 }),
        "status",
    );
    s.call_refused(
        "create_category",
        json!({ "title": "Bad", "status": "ventes" }),
        "status",
    );
    s.call_refused("create_category", json!({ "status": 1 }), "title");
    assert_eq!(s.emulator.records(FIRM, "categories").len(), 3);
}

#[test]
fn get_category_shows_the_stored_record() {
    let mut s = TestSession::new();
    let id = insert(
        &s,
        "categories",
        json!({ "title": "Affranchissement", "status": 2 }),
    );
    let before = stored(&s, "categories", id);

    let category = s.call("get_category", json!({ "category_id": id }));
    assert_eq!(category["id"], id);
    assert_eq!(category["title"], "Affranchissement");
    assert_eq!(category["status"], 2);
    assert_shows_stored(&category, &before);
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/categories/{id}.json"),
    );
    assert!(request.query.is_empty() && request.body.is_empty());
    assert_eq!(stored(&s, "categories", id), before);

    let text = s.call_error("get_category", json!({ "category_id": id + 1000 }));
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);

    s.call_refused("get_category", json!({ "category_id": 0 }), "category_id");
    s.call_refused("get_category", json!({}), "category_id");
}

#[test]
fn update_category_patches_title_and_status() {
    let mut s = TestSession::new();
    let id = insert(&s, "categories", json!({ "title": "Outil", "status": 0 }));

    let args = json!({ "category_id": id, "title": "Outil SEO", "status": 2 });
    let result = s.call("update_category", args.clone());
    assert_eq!(result, json!({ "category_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/categories/{id}.json"),
    );
    assert_json_body(&request, &json!({ "title": "Outil SEO", "status": 2 }));
    let record = stored(&s, "categories", id);
    assert_eq!(
        (&record["title"], &record["status"]),
        (&json!("Outil SEO"), &json!(2))
    );

    s.call_refused(
        "update_category",
        json!({ "category_id": id, "status": 9 }),
        "status",
    );
    assert_eq!(stored(&s, "categories", id), record);
}

#[test]
fn delete_category_keeps_the_documents_filed_under_it() {
    let mut s = TestSession::new();
    let category = insert(
        &s,
        "categories",
        json!({ "title": "Hébergement", "status": 2 }),
    );
    let supplier = insert(&s, "suppliers", json!({ "company_name": "OVH" }));
    let purchase = insert(
        &s,
        "purchases",
        json!({ "supplier_id": supplier, "title": "Serveur", "category_id": category,
                "invoiced_on": "2025-05-01", "total_with_vat": "120.0", "vat_amount": "20.0" }),
    );

    let result = s.call("delete_category", json!({ "category_id": category }));
    assert_eq!(result, json!({ "category_id": category, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/categories/{category}.json"),
    );
    assert!(request.body.is_empty());
    assert!(s.emulator.record(FIRM, "categories", category).is_none());
    // Reference line 581: deleting a category does not delete the documents attached to it.
    assert!(
        s.emulator.record(FIRM, "purchases", purchase).is_some(),
        "the purchase filed under the category was deleted with it"
    );

    let text = s.call_error("delete_category", json!({ "category_id": category }));
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);
}

// Suppliers.

fn four_suppliers(s: &TestSession) -> [u64; 4] {
    let category = insert(s, "categories", json!({ "title": "Télécom", "status": 2 }));
    [
        json!({ "company_name": "OVH", "country": "FR", "category_id": category,
                "created_at": "2024-01-10T10:00:00.000Z" }),
        json!({ "company_name": "Orange", "country": "FR",
                "created_at": "2024-02-10T10:00:00.000Z" }),
        json!({ "company_name": "Amazon", "country": "LU",
                "created_at": "2024-03-10T10:00:00.000Z" }),
        json!({ "company_name": "Free", "country": "FR", "category_id": category,
                "created_at": "2024-04-10T10:00:00.000Z" }),
    ]
    .map(|fields| insert(s, "suppliers", fields))
}

#[test]
fn list_suppliers_filters_sorts_and_orders() {
    let mut s = TestSession::new();
    let [ovh, orange, amazon, free] = four_suppliers(&s);
    let before = s.emulator.records(FIRM, "suppliers");

    // Reference line 2815: by short name, ascending, by default.
    let page = s.call("list_suppliers", json!({}));
    assert_eq!(ids(&page["suppliers"]), [amazon, free, orange, ovh]);
    assert_eq!(page["pagination"]["total_entries"], 4);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/suppliers.json");
    assert!(request.query.is_empty());

    // category_id 0 selects the suppliers without a category (reference line 2805).
    let page = s.call(
        "list_suppliers",
        json!({ "country": "FR", "category_id": 0 }),
    );
    assert_eq!(ids(&page["suppliers"]), [orange]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("country", "FR"), ("category_id", "0")])
    );

    let page = s.call(
        "list_suppliers",
        json!({ "company": "o", "sort": "desc", "order": "created", "page": 1 }),
    );
    assert_eq!(ids(&page["suppliers"]), [amazon, orange, ovh]);
    let request = s.only_request();
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[
            ("company", "o"),
            ("sort", "desc"),
            ("order", "created"),
            ("page", "1")
        ])
    );

    s.call_refused("list_suppliers", json!({ "country": "fr" }), "country");
    s.call_refused("list_suppliers", json!({ "order": "name" }), "order");
    s.call_refused("list_suppliers", json!({ "sort": "up" }), "sort");
    assert_eq!(s.emulator.records(FIRM, "suppliers"), before);
}

#[test]
fn create_supplier_sends_the_fields_and_gets_an_account_code() {
    let mut s = TestSession::new();
    let args = json!({
        "company_name": "Office Depot", "city": "Paris", "country": "FR",
        "email": "factures@officedepot.test", "vat_number": "FR00123456789",
        "reverse_charge": true, "api_id": 4242, "api_custom": "erp:od",
    });
    let created = s.call("create_supplier", args.clone());
    let id = created["id"].as_u64().expect("the new id");
    assert_eq!(created["company_name"], "Office Depot");
    assert_eq!(created["short_name"], "Office Depot");
    // Reference lines 2899-2905: the service derives the account code from the name.
    assert_eq!(created["account_code"], "401OFFICEDE");
    assert_eq!(created["reverse_charge"], true);

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/suppliers.json");
    assert_eq!(request.status, 201);
    assert_json_body(&request, &args);
    let record = stored(&s, "suppliers", id);
    for field in [
        "company_name",
        "city",
        "country",
        "email",
        "vat_number",
        "reverse_charge",
        "api_id",
        "api_custom",
    ] {
        assert_eq!(record[field], args[field], "{field}");
    }
    assert_shows_stored(&created, &record);

    s.call_refused(
        "create_supplier",
        json!({ "company_name": "X", "country": "France" }),
        "country",
    );
    s.call_refused(
        "create_supplier",
        json!({ "company_name": "X", "reverse_charge": "yes" }),
        "reverse_charge",
    );
    assert_eq!(s.emulator.records(FIRM, "suppliers").len(), 1);
}

#[test]
fn get_supplier_shows_the_stored_record() {
    let mut s = TestSession::new();
    let id = insert(
        &s,
        "suppliers",
        json!({ "company_name": "apple", "account_code": "401APPLE", "city": "Cupertino" }),
    );
    let before = stored(&s, "suppliers", id);

    let supplier = s.call("get_supplier", json!({ "supplier_id": id }));
    assert_eq!(supplier["id"], id);
    assert_eq!(supplier["company_name"], "apple");
    assert_eq!(supplier["account_code"], "401APPLE");
    assert_eq!(supplier["city"], "Cupertino");
    assert_shows_stored(&supplier, &before);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/suppliers/{id}.json"));
    assert_eq!(stored(&s, "suppliers", id), before);

    let text = s.call_error("get_supplier", json!({ "supplier_id": id + 1000 }));
    assert!(text.contains("HTTP 404"), "{text}");
}

#[test]
fn update_supplier_patches_only_the_given_fields() {
    let mut s = TestSession::new();
    let id = insert(
        &s,
        "suppliers",
        json!({ "company_name": "apple", "phone": "01 02 03 04 05" }),
    );
    // The reference's own example, lines 2974-2980.
    let args = json!({ "supplier_id": id, "city": "Palo Alto", "country": "US",
                       "street": "1 infinite loop" });
    let result = s.call("update_supplier", args.clone());
    assert_eq!(result, json!({ "supplier_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/suppliers/{id}.json"),
    );
    assert_json_body(&request, &without(&args, &["supplier_id"]));
    let record = stored(&s, "suppliers", id);
    assert_eq!(record["city"], "Palo Alto");
    assert_eq!(record["country"], "US");
    assert_eq!(record["street"], "1 infinite loop");
    assert_eq!(
        record["phone"], "01 02 03 04 05",
        "untouched fields keep their value"
    );
    assert_eq!(record["company_name"], "apple");
}

#[test]
fn delete_supplier_deletes_its_purchases_too() {
    let mut s = TestSession::new();
    let doomed = insert(&s, "suppliers", json!({ "company_name": "Doomed SARL" }));
    let kept = insert(&s, "suppliers", json!({ "company_name": "Kept SAS" }));
    let purchase = |s: &TestSession, supplier: u64, title: &str| {
        insert(
            s,
            "purchases",
            json!({ "supplier_id": supplier, "title": title, "invoiced_on": "2025-04-01",
                    "total_with_vat": "60.0", "vat_amount": "10.0" }),
        )
    };
    let doomed_purchases = [
        purchase(&s, doomed, "Fournitures"),
        purchase(&s, doomed, "Cartouches"),
    ];
    let kept_purchase = purchase(&s, kept, "Licence");

    let result = s.call("delete_supplier", json!({ "supplier_id": doomed }));
    assert_eq!(result, json!({ "supplier_id": doomed, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/suppliers/{doomed}.json"),
    );
    assert!(s.emulator.record(FIRM, "suppliers", doomed).is_none());
    assert!(s.emulator.record(FIRM, "suppliers", kept).is_some());
    // Reference line 2995: the supplier's purchases go with it, and only those.
    for id in doomed_purchases {
        assert!(
            s.emulator.record(FIRM, "purchases", id).is_none(),
            "purchase {id} of the deleted supplier survived"
        );
    }
    assert_eq!(
        ids(&Value::Array(s.emulator.records(FIRM, "purchases"))),
        [kept_purchase]
    );
}

#[test]
fn delete_supplier_refuses_a_service_managed_supplier_with_purchases() {
    let mut s = TestSession::new();
    let urssaf = insert(
        &s,
        "suppliers",
        json!({ "company_name": "URSSAF", "system": true }),
    );
    let contribution = insert(
        &s,
        "purchases",
        json!({ "supplier_id": urssaf, "title": "Cotisations T1", "invoiced_on": "2025-04-15",
                "total_with_vat": "850.0", "vat_amount": "0.0" }),
    );

    // Reference lines 2995-2997: such suppliers cannot be deleted once they have purchases.
    let text = s.call_error("delete_supplier", json!({ "supplier_id": urssaf }));
    assert!(text.contains("HTTP 422"), "{text}");
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/suppliers/{urssaf}.json"),
    );
    assert_eq!(request.status, 422);
    assert!(s.emulator.record(FIRM, "suppliers", urssaf).is_some());
    assert!(s.emulator.record(FIRM, "purchases", contribution).is_some());
}

// Products.

fn three_products(s: &TestSession) -> [u64; 3] {
    [
        json!({ "ref": "WORDPRESS", "title": "Developpement module Wordpress",
                "unit_price": "150.0", "vat": "0.200", "api_id": 77 }),
        json!({ "ref": "PRESTASHOP", "title": "Developpement module Prestashop",
                "unit_price": "100.0", "vat": "0.200", "api_custom": "CUSTOM_SHOP" }),
        json!({ "ref": "AUDIT", "title": "Audit de performance",
                "unit_price": "900.0", "vat": "0.200" }),
    ]
    .map(|fields| insert(s, "products", fields))
}

#[test]
fn list_products_filters_sorts_and_orders() {
    let mut s = TestSession::new();
    let [wordpress, prestashop, audit] = three_products(&s);
    let before = s.emulator.records(FIRM, "products");

    // Reference line 3072: by label, ascending, by default.
    let page = s.call("list_products", json!({}));
    assert_eq!(ids(&page["products"]), [audit, prestashop, wordpress]);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/products.json");
    assert!(request.query.is_empty());

    let page = s.call(
        "list_products",
        json!({ "title": "module", "sort": "desc", "order": "ref", "page": 1 }),
    );
    assert_eq!(ids(&page["products"]), [wordpress, prestashop]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[
            ("title", "module"),
            ("sort", "desc"),
            ("order", "ref"),
            ("page", "1")
        ])
    );

    let page = s.call("list_products", json!({ "ref": "press" }));
    assert_eq!(ids(&page["products"]), [wordpress]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("ref", "press")])
    );

    let page = s.call("list_products", json!({ "api_id": 77 }));
    assert_eq!(ids(&page["products"]), [wordpress]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("api_id", "77")])
    );

    let page = s.call("list_products", json!({ "api_custom": "shop" }));
    assert_eq!(ids(&page["products"]), [prestashop]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("api_custom", "shop")])
    );

    s.call_refused("list_products", json!({ "order": "price" }), "order");
    s.call_refused("list_products", json!({ "api_id": "77" }), "api_id");
    assert_eq!(s.emulator.records(FIRM, "products"), before);
}

#[test]
fn create_product_sends_the_fields_as_given() {
    let mut s = TestSession::new();
    // The reference's example (lines 3123-3129), plus a few more fields.
    let args = json!({
        "ref": "PAIMENT", "title": "Developpement passerelle de paiement",
        "unit_price": 200.0, "vat": 0.2, "measure": "jour", "nature": 3,
        "notes": "Tarif 2025",
    });
    let created = s.call("create_product", args.clone());
    let id = created["id"].as_u64().expect("the new id");
    assert_eq!(created["ref"], "PAIMENT");
    assert_eq!(created["title"], "Developpement passerelle de paiement");
    assert_eq!(decimal(&created["unit_price"]), 200.0);
    assert_eq!(decimal(&created["vat"]), 0.2);
    assert_eq!(created["nature"], 3);

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/products.json");
    assert_eq!(request.status, 201);
    assert_json_body(&request, &args);
    let record = stored(&s, "products", id);
    assert_eq!(record["ref"], "PAIMENT");
    assert_eq!(decimal(&record["unit_price"]), 200.0);
    assert_eq!(decimal(&record["vat"]), 0.2);
    assert_eq!(record["measure"], "jour");
    assert_eq!(record["nature"], 3);
    assert_eq!(record["notes"], "Tarif 2025");
    assert_shows_stored(&created, &record);

    s.call_refused(
        "create_product",
        json!({ "title": "X", "nature": 4 }),
        "nature",
    );
    s.call_refused(
        "create_product",
        json!({ "title": "X", "vat": "20%" }),
        "vat",
    );
    s.call_refused(
        "create_product",
        json!({ "title": "X", "measure": "m".repeat(33) }),
        "measure",
    );
    s.call_refused("create_product", json!({ "ref": "NOTITLE" }), "title");
    assert_eq!(s.emulator.records(FIRM, "products").len(), 1);
}

#[test]
fn get_product_shows_the_stored_record() {
    let mut s = TestSession::new();
    let [_, prestashop, _] = three_products(&s);
    let before = stored(&s, "products", prestashop);

    let product = s.call("get_product", json!({ "product_id": prestashop }));
    assert_eq!(product["id"], prestashop);
    assert_eq!(product["ref"], "PRESTASHOP");
    assert_eq!(decimal(&product["unit_price"]), 100.0);
    assert_eq!(decimal(&product["vat"]), 0.2);
    assert_shows_stored(&product, &before);
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/products/{prestashop}.json"),
    );
    assert_eq!(stored(&s, "products", prestashop), before);
}

#[test]
fn update_product_patches_and_clears_fields() {
    let mut s = TestSession::new();
    let id = insert(
        &s,
        "products",
        json!({ "ref": "PRESTASHOP", "title": "Developpement module Prestashop",
                "unit_price": "100.0", "vat": "0.200", "notes": "ancien tarif" }),
    );
    let args = json!({ "product_id": id, "title": "Optimisation module Prestashop",
                       "api_custom": "CUSTOM_SHOP", "unit_price": 120.5, "notes": null });
    let result = s.call("update_product", args.clone());
    assert_eq!(result, json!({ "product_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/products/{id}.json"),
    );
    assert_json_body(&request, &without(&args, &["product_id"]));
    let record = stored(&s, "products", id);
    assert_eq!(record["title"], "Optimisation module Prestashop");
    assert_eq!(record["api_custom"], "CUSTOM_SHOP");
    assert_eq!(decimal(&record["unit_price"]), 120.5);
    assert_eq!(record["notes"], Value::Null);
    assert_eq!(record["ref"], "PRESTASHOP");

    s.call_refused(
        "update_product",
        json!({ "product_id": id, "unit_price": "cheap" }),
        "unit_price",
    );
    assert_eq!(stored(&s, "products", id), record);
}

#[test]
fn delete_product_removes_it() {
    let mut s = TestSession::new();
    let [wordpress, prestashop, audit] = three_products(&s);
    let result = s.call("delete_product", json!({ "product_id": prestashop }));
    assert_eq!(result, json!({ "product_id": prestashop, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/products/{prestashop}.json"),
    );
    assert!(s.emulator.record(FIRM, "products", prestashop).is_none());
    assert_eq!(
        sorted(ids(&Value::Array(s.emulator.records(FIRM, "products")))),
        sorted(vec![wordpress, audit])
    );

    let text = s.call_error("get_product", json!({ "product_id": prestashop }));
    assert!(text.contains("HTTP 404"), "{text}");
}

// Follow-ups.

#[test]
fn list_followups_filters_on_title_and_status() {
    let mut s = TestSession::new();
    let to_invoice = insert(
        &s,
        "followups",
        json!({ "title": "A facturer", "status": 1 }),
    );
    let chase = insert(
        &s,
        "followups",
        json!({ "title": "A relancer", "status": 0 }),
    );
    let ship = insert(
        &s,
        "followups",
        json!({ "title": "Envoyer produits", "status": 2 }),
    );
    let before = s.emulator.records(FIRM, "followups");

    let page = s.call("list_followups", json!({}));
    // Reference lines 3391-3396: the built-in stages 0 and -1 are not listed.
    assert_eq!(
        sorted(ids(&page["followups"])),
        sorted(vec![to_invoice, chase, ship])
    );
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/followups.json");
    assert!(request.query.is_empty());

    let page = s.call(
        "list_followups",
        json!({ "title": "a", "status": 0, "page": 1 }),
    );
    assert_eq!(ids(&page["followups"]), [chase]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("title", "a"), ("status", "0"), ("page", "1")])
    );

    let page = s.call("list_followups", json!({ "status": 2 }));
    assert_eq!(ids(&page["followups"]), [ship]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("status", "2")])
    );

    for status in [json!(3), json!(-1), json!("1")] {
        s.call_refused("list_followups", json!({ "status": status }), "status");
    }
    assert_eq!(s.emulator.records(FIRM, "followups"), before);
}

#[test]
fn create_followup_sends_the_status_code_and_stores_it() {
    let mut s = TestSession::new();
    for status in [0, 1, 2] {
        let args = json!({ "title": format!("En attente {status}"), "status": status });
        let created = s.call("create_followup", args.clone());
        let id = created["id"].as_u64().expect("the new id");
        assert_eq!(created["title"], args["title"]);
        assert_eq!(created["status"], status);

        let request = s.only_request();
        assert_route(&request, "POST", "/firms/1001/followups.json");
        assert_eq!(request.status, 201);
        assert_json_body(&request, &args);
        let record = stored(&s, "followups", id);
        assert_eq!(record["title"], args["title"]);
        assert_eq!(record["status"], status);
        assert_shows_stored(&created, &record);
    }

    s.call_refused(
        "create_followup",
        json!({ "title": "Bad", "status": 9 }),
        "status",
    );
    s.call_refused("create_followup", json!({ "status": 1 }), "title");
    assert_eq!(s.emulator.records(FIRM, "followups").len(), 3);
}

#[test]
fn get_followup_shows_the_stored_record() {
    let mut s = TestSession::new();
    let id = insert(
        &s,
        "followups",
        json!({ "title": "En attente de facturation", "status": 1 }),
    );
    let before = stored(&s, "followups", id);
    let followup = s.call("get_followup", json!({ "followup_id": id }));
    assert_eq!(followup["id"], id);
    assert_eq!(followup["title"], "En attente de facturation");
    assert_eq!(followup["status"], 1);
    assert_shows_stored(&followup, &before);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/followups/{id}.json"));
    assert_eq!(stored(&s, "followups", id), before);

    // The built-in stages have no record of their own to show; -1 is not an id the tool takes.
    s.call_refused("get_followup", json!({ "followup_id": -1 }), "followup_id");
}

#[test]
fn update_followup_patches_title_and_status() {
    let mut s = TestSession::new();
    let id = insert(&s, "followups", json!({ "title": "Relancer", "status": 0 }));
    let args = json!({ "followup_id": id, "title": "Relancer le client", "status": 2 });
    let result = s.call("update_followup", args.clone());
    assert_eq!(result, json!({ "followup_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/followups/{id}.json"),
    );
    assert_json_body(
        &request,
        &json!({ "title": "Relancer le client", "status": 2 }),
    );
    let record = stored(&s, "followups", id);
    assert_eq!(record["title"], "Relancer le client");
    assert_eq!(record["status"], 2);

    s.call_refused(
        "update_followup",
        json!({ "followup_id": id, "status": "2" }),
        "status",
    );
    assert_eq!(stored(&s, "followups", id), record);
}

#[test]
fn delete_followup_keeps_the_documents_at_that_stage() {
    let mut s = TestSession::new();
    let followup = insert(
        &s,
        "followups",
        json!({ "title": "A relancer", "status": 0 }),
    );
    let customer = s
        .emulator
        .insert_customer(FIRM, json!({ "company_name": "Client" }));
    let quote = insert(
        &s,
        "quotes",
        json!({ "customer_id": customer, "title": "Site web", "followup_id": followup,
                "invoiced_on": "2025-05-02" }),
    );

    let result = s.call("delete_followup", json!({ "followup_id": followup }));
    assert_eq!(result, json!({ "followup_id": followup, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/followups/{followup}.json"),
    );
    assert!(s.emulator.record(FIRM, "followups", followup).is_none());
    // Reference line 3507: the documents at that stage are not deleted.
    assert!(s.emulator.record(FIRM, "quotes", quote).is_some());

    let text = s.call_error("get_followup", json!({ "followup_id": followup }));
    assert!(text.contains("HTTP 404"), "{text}");
}

// Purchases.

fn purchase_fixture(s: &TestSession) -> (u64, u64, [u64; 3]) {
    let ovh = insert(s, "suppliers", json!({ "company_name": "OVH" }));
    let bureau = insert(s, "suppliers", json!({ "company_name": "Bureau Vallée" }));
    let purchases = [
        json!({ "supplier_id": ovh, "title": "Serveur dédié mars", "invoiced_on": "2025-03-05",
                "total_with_vat": "120.0", "vat_amount": "20.0", "paid_on": "2025-03-06",
                "payment_mode": 2 }),
        json!({ "supplier_id": ovh, "title": "Serveur dédié avril", "invoiced_on": "2025-04-05",
                "total_with_vat": "240.0", "vat_amount": "40.0", "payment_mode": 0 }),
        json!({ "supplier_id": bureau, "title": "Ramettes", "invoiced_on": "2025-03-20",
                "total_with_vat": "36.0", "vat_amount": "6.0", "paid_on": "2025-04-02",
                "payment_mode": 4 }),
    ]
    .map(|fields| insert(s, "purchases", fields));
    (ovh, bureau, purchases)
}

#[test]
fn list_purchases_filters_sorts_and_orders() {
    let mut s = TestSession::new();
    let (_, _, [march_server, april_server, paper]) = purchase_fixture(&s);
    let before = s.emulator.records(FIRM, "purchases");

    // Reference line 183: newest purchase date first by default.
    let page = s.call("list_purchases", json!({}));
    assert_eq!(ids(&page["purchases"]), [april_server, paper, march_server]);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/purchases.json");
    assert!(request.query.is_empty());

    let page = s.call("list_purchases", json!({ "purchase_type": "paid" }));
    assert_eq!(
        sorted(ids(&page["purchases"])),
        sorted(vec![march_server, paper])
    );
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("purchase_type", "paid")])
    );

    let page = s.call(
        "list_purchases",
        json!({ "company": "ovh", "title": "serveur", "sort": "asc", "order": "total", "page": 1 }),
    );
    assert_eq!(ids(&page["purchases"]), [march_server, april_server]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[
            ("company", "ovh"),
            ("title", "serveur"),
            ("sort", "asc"),
            ("order", "total"),
            ("page", "1"),
        ])
    );

    // Billing dates in March: the server of March 5th and the paper of March 20th.
    let page = s.call(
        "list_purchases",
        json!({ "period_start": "2025-03", "period_end": "2025-03", "period_type": "billed" }),
    );
    assert_eq!(
        sorted(ids(&page["purchases"])),
        sorted(vec![march_server, paper])
    );
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[
            ("period_start", "2025-03"),
            ("period_end", "2025-03"),
            ("period_type", "billed"),
        ])
    );

    s.call_refused(
        "list_purchases",
        json!({ "purchase_type": "overdue" }),
        "purchase_type",
    );
    s.call_refused("list_purchases", json!({ "order": "supplier" }), "order");
    s.call_refused(
        "list_purchases",
        json!({ "period_start": "2025-13" }),
        "period_start",
    );
    s.call_refused(
        "list_purchases",
        json!({ "period_type": "paid" }),
        "period_type",
    );
    assert_eq!(s.emulator.records(FIRM, "purchases"), before);
}

#[test]
fn list_purchases_includes_receipts_only_with_details() {
    let mut s = TestSession::new();
    let (_, _, [march_server, _, _]) = purchase_fixture(&s);
    let receipt = s.call(
        "upload_purchase_file",
        json!({ "purchase_id": march_server, "content_base64": BASE64_STANDARD.encode(b"%PDF-1.4 receipt"),
                "filename": "facture_123.pdf" }),
    );
    s.emulator.clear_requests();

    // Reference lines 144-148: files are left out of lists unless with_details=1.
    let page = s.call("list_purchases", json!({}));
    let listed = page["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == march_server)
        .unwrap();
    assert!(
        listed
            .get("files")
            .is_none_or(|files| files.as_array().is_none_or(Vec::is_empty)),
        "files listed without with_details: {listed}"
    );
    s.only_request();

    let page = s.call("list_purchases", json!({ "with_details": true }));
    let listed = page["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == march_server)
        .unwrap();
    assert_eq!(ids(&listed["files"]), [receipt["id"].as_u64().unwrap()]);
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("with_details", "1")])
    );
}

#[test]
fn create_purchase_sends_the_fields_and_payment_mode_codes() {
    let mut s = TestSession::new();
    let supplier = insert(&s, "suppliers", json!({ "company_name": "Le Bistrot" }));
    // After the reference's example, lines 249-255; 20 (supplier credit) exists for purchases
    // only (lines 3747-3770).
    let args = json!({
        "supplier_id": supplier, "invoiced_on": "2025-06-28", "title": "Restaurant",
        "total_with_vat": 100, "vat_amount": 16.39, "payment_mode": 20,
        "paid_on": "2025-06-30", "currency": "EUR", "notes": "Repas client",
    });
    let created = s.call("create_purchase", args.clone());
    let id = created["id"].as_u64().expect("the new id");
    assert_eq!(created["supplier_id"], supplier);
    assert_eq!(created["title"], "Restaurant");
    assert_eq!(decimal(&created["total_with_vat"]), 100.0);
    assert_eq!(decimal(&created["vat_amount"]), 16.39);
    assert_eq!(created["payment_mode"], 20);
    assert_eq!(created["paid_on"], "2025-06-30");
    assert_eq!(created["supplier_identity"], "Le Bistrot");

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/purchases.json");
    assert_eq!(request.status, 201);
    assert_json_body(&request, &args);
    let record = stored(&s, "purchases", id);
    assert_eq!(record["supplier_id"], supplier);
    assert_eq!(record["title"], "Restaurant");
    assert_eq!(record["invoiced_on"], "2025-06-28");
    assert_eq!(decimal(&record["total_with_vat"]), 100.0);
    assert_eq!(decimal(&record["vat_amount"]), 16.39);
    assert_eq!(record["payment_mode"], 20);
    assert_eq!(record["currency"], "EUR");
    assert_eq!(record["notes"], "Repas client");

    // 7 (partner's current account) is another purchase-only mode.
    let args = json!({ "supplier_id": supplier, "title": "Avance associé",
                       "total_with_vat": 50, "payment_mode": 7 });
    let created = s.call("create_purchase", args.clone());
    assert_json_body(&s.only_request(), &args);
    assert_eq!(
        stored(&s, "purchases", created["id"].as_u64().unwrap())["payment_mode"],
        7
    );

    // 6 (prepaid CESU) and 999 (bad debt) are sales-only modes; text is not a code.
    for mode in [json!(6), json!(999), json!("2"), json!("card")] {
        s.call_refused(
            "create_purchase",
            json!({ "supplier_id": supplier, "title": "X", "payment_mode": mode }),
            "payment_mode",
        );
    }
    s.call_refused(
        "create_purchase",
        json!({ "supplier_id": supplier, "title": "X", "invoiced_on": "28/06/2025" }),
        "invoiced_on",
    );
    assert_eq!(s.emulator.records(FIRM, "purchases").len(), 2);
}

#[test]
fn get_purchase_shows_the_stored_record_and_its_supplier() {
    let mut s = TestSession::new();
    let (ovh, _, [march_server, _, _]) = purchase_fixture(&s);
    let before = stored(&s, "purchases", march_server);

    let purchase = s.call("get_purchase", json!({ "purchase_id": march_server }));
    assert_eq!(purchase["id"], march_server);
    assert_eq!(purchase["supplier_id"], ovh);
    assert_eq!(purchase["supplier_identity"], "OVH");
    assert_eq!(purchase["title"], "Serveur dédié mars");
    assert_eq!(decimal(&purchase["total_with_vat"]), 120.0);
    assert_eq!(purchase["payment_mode"], 2);
    assert_eq!(purchase["paid_on"], "2025-03-06");
    assert_shows_stored(&purchase, &before);
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/purchases/{march_server}.json"),
    );
    assert_eq!(stored(&s, "purchases", march_server), before);
}

#[test]
fn update_purchase_records_the_payment() {
    let mut s = TestSession::new();
    let (_, _, [_, april_server, _]) = purchase_fixture(&s);
    let args = json!({ "purchase_id": april_server, "title": "Serveur virtuel",
                       "paid_on": "2025-04-30", "payment_mode": 3, "payment_ref": "VIR-0430" });
    let result = s.call("update_purchase", args.clone());
    assert_eq!(
        result,
        json!({ "purchase_id": april_server, "updated": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/purchases/{april_server}.json"),
    );
    assert_json_body(&request, &without(&args, &["purchase_id"]));
    let record = stored(&s, "purchases", april_server);
    assert_eq!(record["title"], "Serveur virtuel");
    assert_eq!(record["paid_on"], "2025-04-30");
    assert_eq!(record["payment_mode"], 3);
    assert_eq!(record["payment_ref"], "VIR-0430");
    assert_eq!(decimal(&record["total_with_vat"]), 240.0, "untouched");

    s.call_refused(
        "update_purchase",
        json!({ "purchase_id": april_server, "payment_mode": 6 }),
        "payment_mode",
    );
    assert_eq!(stored(&s, "purchases", april_server), record);
}

#[test]
fn delete_purchase_removes_only_that_purchase() {
    let mut s = TestSession::new();
    let (ovh, _, [march_server, april_server, paper]) = purchase_fixture(&s);
    let result = s.call("delete_purchase", json!({ "purchase_id": april_server }));
    assert_eq!(
        result,
        json!({ "purchase_id": april_server, "deleted": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/purchases/{april_server}.json"),
    );
    assert!(s.emulator.record(FIRM, "purchases", april_server).is_none());
    assert_eq!(
        sorted(ids(&Value::Array(s.emulator.records(FIRM, "purchases")))),
        sorted(vec![march_server, paper])
    );
    assert!(s.emulator.record(FIRM, "suppliers", ovh).is_some());

    let text = s.call_error("delete_purchase", json!({ "purchase_id": april_server }));
    assert!(text.contains("HTTP 404"), "{text}");
}

#[test]
fn upload_purchase_file_attaches_a_receipt() {
    let mut s = TestSession::new();
    let (_, _, [march_server, _, _]) = purchase_fixture(&s);
    let bytes: Vec<u8> = b"%PDF-1.4\n"
        .iter()
        .copied()
        .chain((0..=255u8).rev())
        .collect();
    // The reference's example, lines 373-379: the receipt stored as achat_123.pdf.
    let file = s.call(
        "upload_purchase_file",
        json!({ "purchase_id": march_server, "content_base64": BASE64_STANDARD.encode(&bytes),
                "filename": "achat_123.pdf" }),
    );
    let file_id = file["id"].as_u64().expect("the new file id");
    assert_eq!(file["purchase_id"], march_server);
    assert_eq!(file["document_name"], "achat_123.pdf");
    assert_eq!(file["document_size"], bytes.len());
    assert!(
        file["download_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/firms/1001/assets/{file_id}/download")),
        "{file}"
    );

    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/purchases/{march_server}/upload.json"),
    );
    assert_eq!(request.status, 201);
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[("filename", "achat_123.pdf")])
    );
    assert_eq!(
        upload_part(&request),
        ("achat_123.pdf".to_string(), bytes.clone())
    );

    assert_eq!(s.emulator.asset_bytes(FIRM, file_id), Some(bytes));
    let asset = stored(&s, "assets", file_id);
    assert_eq!(asset["purchase_id"], march_server);
    assert_eq!(asset["document_name"], "achat_123.pdf");

    // Reference line 146: the purchase's own record lists its files.
    let purchase = s.call("get_purchase", json!({ "purchase_id": march_server }));
    assert_eq!(ids(&purchase["files"]), [file_id]);
    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/purchases/{march_server}.json"),
    );

    s.call_refused(
        "upload_purchase_file",
        json!({ "purchase_id": march_server, "content_base64": "%%%", "filename": "x.pdf" }),
        "content_base64",
    );
    assert_eq!(s.emulator.records(FIRM, "assets").len(), 1);
}

#[test]
fn list_recurring_purchases_lists_the_schedules() {
    let mut s = TestSession::new();
    let hosting = insert(
        &s,
        "recurring_purchases",
        json!({ "title": "Hébergement mensuel" }),
    );
    let rent = insert(
        &s,
        "recurring_purchases",
        json!({ "title": "Loyer bureau" }),
    );
    let before = s.emulator.records(FIRM, "recurring_purchases");

    let page = s.call("list_recurring_purchases", json!({}));
    assert_eq!(
        sorted(ids(&page["recurring_purchases"])),
        sorted(vec![hosting, rent])
    );
    assert_eq!(page["pagination"]["total_entries"], 2);
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/recurring_purchases.json");
    assert!(request.query.is_empty());

    let page = s.call("list_recurring_purchases", json!({ "page": 2 }));
    assert_eq!(page["recurring_purchases"], json!([]));
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("page", "2")])
    );

    // Reference line 402: managed in the web interface only; the tool takes no filters.
    s.call_refused(
        "list_recurring_purchases",
        json!({ "title": "Loyer" }),
        "title",
    );
    assert_eq!(s.emulator.records(FIRM, "recurring_purchases"), before);
}

#[test]
fn get_recurring_purchase_shows_one_schedule() {
    let mut s = TestSession::new();
    let rent = insert(
        &s,
        "recurring_purchases",
        json!({ "title": "Loyer bureau" }),
    );
    let before = stored(&s, "recurring_purchases", rent);

    let schedule = s.call(
        "get_recurring_purchase",
        json!({ "recurring_purchase_id": rent }),
    );
    assert_eq!(schedule["id"], rent);
    assert_eq!(schedule["title"], "Loyer bureau");
    assert_shows_stored(&schedule, &before);
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/recurring_purchases/{rent}.json"),
    );
    assert_eq!(stored(&s, "recurring_purchases", rent), before);

    let text = s.call_error(
        "get_recurring_purchase",
        json!({ "recurring_purchase_id": rent + 1000 }),
    );
    assert!(text.contains("HTTP 404"), "{text}");
}
