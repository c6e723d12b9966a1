//! Demo data, and direct insertion of records for tests.
//!
//! The demo customers cover the cases a client meets in practice: a long-standing invoiced
//! customer (which the API refuses to delete), an individual, an archived customer hidden from
//! the default list, and one customer in the second firm to exercise firm scoping. The first
//! firm also gets a small realistic month of activity: products, suppliers, categories, a
//! followup, quotes, invoices in each state, purchases, recurring documents and files. Ids are
//! allocated in a fixed order, so they are the same in every run.

use serde_json::{Map, Value, json};

use super::accounts::FIRST_ACCOUNT_ID;
use super::assets;
use super::engine_resource;
use super::pdf;
use super::state::Store;

/// Stores a record as given (see `Emulator::insert_record`), returning its id.
///
/// # Panics
/// If the firm is not part of the account, the resource is unknown, or an asset has no owner.
pub(crate) fn insert(
    store: &mut Store,
    firm_id: u64,
    resource: &str,
    fields: &Map<String, Value>,
) -> u64 {
    let (firm, ids) = store
        .firm_by_id_mut(firm_id)
        .unwrap_or_else(|| panic!("firm {firm_id} is not configured in this emulator"));
    if resource == assets::COLLECTION {
        return assets::insert_trusted(firm, ids, fields).unwrap_or_else(|| {
            panic!("an asset needs its owner: quote_id, invoice_id, customer_id or purchase_id")
        });
    }
    let resource = engine_resource(resource)
        .unwrap_or_else(|| panic!("the emulator has no resource named {resource:?}"));
    resource.insert_trusted(firm, ids, fields)
}

fn add(store: &mut Store, firm_id: u64, resource: &str, fields: Value) -> u64 {
    let Value::Object(fields) = fields else {
        unreachable!("demo records are objects");
    };
    insert(store, firm_id, resource, &fields)
}

/// Seeds the first account's first firm with customers and a month of activity, and its
/// second firm with one customer. Other accounts start empty.
pub(crate) fn demo_data(store: &mut Store) {
    let firm_ids = store.firm_ids(FIRST_ACCOUNT_ID);
    let mut first_customers = Vec::new();
    if let Some(&firm_id) = firm_ids.first() {
        for customer in first_firm_customers() {
            first_customers.push(add(store, firm_id, "customers", customer));
        }
    }
    if let Some(&firm_id) = firm_ids.get(1) {
        for customer in second_firm_customers() {
            add(store, firm_id, "customers", customer);
        }
    }
    if let (Some(&firm_id), [martin, lumen, _claire, _vernet, rousseau]) =
        (firm_ids.first(), first_customers.as_slice())
    {
        let customers = DemoCustomers {
            martin: *martin,
            lumen: *lumen,
            rousseau: *rousseau,
        };
        first_firm_activity(store, firm_id, &customers);
    }
}

struct DemoCustomers {
    martin: u64,
    lumen: u64,
    rousseau: u64,
}

/// A month of work for a small web agency: September and early October 2025.
fn first_firm_activity(store: &mut Store, firm: u64, customers: &DemoCustomers) {
    let services = add(
        store,
        firm,
        "categories",
        json!({
            "title": "Prestations de service", "status": 1,
            "created_at": "2023-03-01T08:00:00.000Z", "updated_at": "2023-03-01T08:00:00.000Z"
        }),
    );
    let hosting = add(
        store,
        firm,
        "categories",
        json!({
            "title": "Hébergement et logiciels", "status": 2,
            "created_at": "2023-03-01T08:01:00.000Z", "updated_at": "2023-03-01T08:01:00.000Z"
        }),
    );
    add(
        store,
        firm,
        "followups",
        json!({
            "title": "A relancer", "status": 0,
            "created_at": "2024-01-10T09:00:00.000Z", "updated_at": "2024-01-10T09:00:00.000Z"
        }),
    );
    let development = add(
        store,
        firm,
        "products",
        json!({
            "ref": "DEV-JOUR", "title": "Développement web (journée)", "unit_price": "600.0",
            "vat": "0.200", "measure": "jour", "nature": 2, "category_id": services,
            "created_at": "2023-03-02T10:00:00.000Z", "updated_at": "2025-01-06T10:00:00.000Z"
        }),
    );
    let maintenance = add(
        store,
        firm,
        "products",
        json!({
            "ref": "MAINT-MOIS", "title": "Maintenance mensuelle du site", "unit_price": "120.0",
            "vat": "0.200", "measure": "mois", "nature": 2, "category_id": services,
            "created_at": "2023-03-02T10:05:00.000Z", "updated_at": "2023-03-02T10:05:00.000Z"
        }),
    );
    let training = add(
        store,
        firm,
        "products",
        json!({
            "ref": "FORM-H", "title": "Formation (heure)", "unit_price": "80.0", "vat": "0.200",
            "measure": "heure", "nature": 2, "category_id": services,
            "created_at": "2024-02-12T15:30:00.000Z", "updated_at": "2024-02-12T15:30:00.000Z"
        }),
    );
    let host = add(
        store,
        firm,
        "suppliers",
        json!({
            "company_name": "Nuage Hébergement SAS", "short_name": "Nuage Hébergement",
            "street": "5 rue du Datacenter", "zip_code": "59000", "city": "Lille", "country": "FR",
            "email": "facturation@nuage-hebergement.test", "category_id": hosting,
            "created_at": "2023-03-05T11:00:00.000Z", "updated_at": "2023-03-05T11:00:00.000Z"
        }),
    );
    let urssaf = add(
        store,
        firm,
        "suppliers",
        json!({
            "company_name": "URSSAF", "country": "FR", "system": true,
            "created_at": "2023-03-01T00:00:00.000Z", "updated_at": "2023-03-01T00:00:00.000Z"
        }),
    );
    let hosting_bill = add(
        store,
        firm,
        "purchases",
        json!({
            "supplier_id": host, "title": "Hébergement serveur septembre 2025",
            "ref": "NH-2025-0917", "total_with_vat": "36.0", "vat_amount": "6.0",
            "invoiced_on": "2025-09-01", "paid_on": "2025-09-01", "payment_mode": 8,
            "category_id": hosting,
            "created_at": "2025-09-02T08:30:00.000Z", "updated_at": "2025-09-02T08:30:00.000Z"
        }),
    );
    add(
        store,
        firm,
        "purchases",
        json!({
            "supplier_id": urssaf, "title": "Cotisations sociales T3 2025",
            "total_with_vat": "1250.0", "vat_amount": "0.0",
            "invoiced_on": "2025-10-05", "term_on": "2025-10-31",
            "created_at": "2025-10-05T07:00:00.000Z", "updated_at": "2025-10-05T07:00:00.000Z"
        }),
    );
    let redesign = add(
        store,
        firm,
        "quotes",
        json!({
            "customer_id": customers.rousseau, "title": "Refonte du site du cabinet",
            "invoiced_on": "2025-09-12", "quote_status": 1, "category_id": services,
            "items": [
                {"product_id": development, "quantity": "8", "title": "Développement web (journée)",
                 "unit_price": "600.0", "vat": "0.200", "position": 1},
                {"product_id": maintenance, "quantity": "12", "title": "Maintenance mensuelle (option)",
                 "unit_price": "120.0", "vat": "0.200", "optional": true, "position": 2}
            ],
            "created_at": "2025-09-12T14:00:00.000Z", "updated_at": "2025-09-19T09:30:00.000Z"
        }),
    );
    add(
        store,
        firm,
        "quotes",
        json!({
            "customer_id": customers.lumen, "title": "Maintenance annuelle 2026",
            "invoiced_on": "2025-10-02", "quote_status": 0,
            "items": [
                {"product_id": maintenance, "quantity": "12", "title": "Maintenance mensuelle du site",
                 "unit_price": "120.0", "vat": "0.200", "position": 1}
            ],
            "created_at": "2025-10-02T10:15:00.000Z", "updated_at": "2025-10-02T10:15:00.000Z"
        }),
    );
    let showcase = add(
        store,
        firm,
        "invoices",
        json!({
            "customer_id": customers.martin, "title": "Site vitrine - solde",
            "invoiced_on": "2025-09-05", "pay_before": "30", "category_id": services,
            "items": [
                {"product_id": development, "quantity": "3", "title": "Développement web (journée)",
                 "unit_price": "600.0", "vat": "0.200", "position": 1}
            ],
            "created_at": "2025-09-05T16:00:00.000Z", "updated_at": "2025-09-05T16:00:00.000Z"
        }),
    );
    add(
        store,
        firm,
        "invoices",
        json!({
            "customer_id": customers.martin, "title": "Maintenance septembre 2025",
            "invoiced_on": "2025-09-30", "pay_before": "30", "category_id": services,
            "items": [
                {"product_id": maintenance, "quantity": "1", "title": "Maintenance mensuelle du site",
                 "unit_price": "120.0", "vat": "0.200", "position": 1}
            ],
            "created_at": "2025-09-30T16:40:12.000Z", "updated_at": "2025-09-30T16:40:12.000Z"
        }),
    );
    add(
        store,
        firm,
        "invoices",
        json!({
            "customer_id": customers.rousseau, "title": "Formation à l'outil de publication",
            "draft": true, "invoiced_on": "2025-10-06",
            "items": [
                {"product_id": training, "quantity": "6", "title": "Formation (heure)",
                 "unit_price": "80.0", "vat": "0.200", "position": 1}
            ],
            "created_at": "2025-10-06T11:00:00.000Z", "updated_at": "2025-10-06T11:00:00.000Z"
        }),
    );
    add(
        store,
        firm,
        "settlements",
        json!({
            "invoice_id": showcase, "total": "2160.0", "payment_mode": 3,
            "paid_on": "2025-10-08", "payment_ref": "VIR-MARTIN-1008"
        }),
    );
    add(
        store,
        firm,
        "recurring_invoices",
        json!({
            "customer_id": customers.martin, "title": "Maintenance mensuelle du site",
            "currency": "EUR", "total": "120.0", "total_with_vat": "144.0", "frequency": "monthly",
            "next_invoice_on": "2025-10-31", "last_invoice_on": "2025-09-30", "active": true,
            "created_at": "2024-06-28T09:00:00.000Z", "updated_at": "2025-09-30T16:40:12.000Z"
        }),
    );
    add(
        store,
        firm,
        "recurring_purchases",
        json!({
            "supplier_id": host, "title": "Hébergement serveur", "currency": "EUR",
            "total_with_vat": "36.0", "vat_amount": "6.0", "frequency": "monthly",
            "next_purchase_on": "2025-10-01", "active": true,
            "created_at": "2023-03-05T11:05:00.000Z", "updated_at": "2025-09-02T08:30:00.000Z"
        }),
    );
    let document = |lines: &[&str]| {
        let lines: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
        // The PDF writer only emits ASCII, so the bytes travel as text.
        String::from_utf8(pdf::text_document(&lines)).expect("PDF output is ASCII")
    };
    add(
        store,
        firm,
        "assets",
        json!({
            "quote_id": redesign, "document_name": "cahier-des-charges.pdf", "visible": true,
            "content": document(&["Cahier des charges", "Refonte du site du cabinet Rousseau"])
        }),
    );
    add(
        store,
        firm,
        "assets",
        json!({
            "invoice_id": showcase, "document_name": "proces-verbal-recette.pdf", "visible": false,
            "content": document(&["Proces-verbal de recette", "Site vitrine Boulangerie Martin"])
        }),
    );
    add(
        store,
        firm,
        "assets",
        json!({
            "customer_id": customers.martin, "document_name": "contrat-maintenance.txt",
            "content": "Contrat de maintenance - Boulangerie Martin SARL\nDurée : 12 mois\n"
        }),
    );
    add(
        store,
        firm,
        "assets",
        json!({
            "purchase_id": hosting_bill, "document_name": "facture-NH-2025-0917.pdf",
            "content": document(&["Nuage Hebergement SAS", "Facture NH-2025-0917", "Total TTC : 36,00 EUR"])
        }),
    );
}

fn first_firm_customers() -> Vec<Value> {
    vec![
        json!({
            "company_name": "Boulangerie Martin SARL",
            "short_name": "Boulangerie Martin",
            "street": "12 rue des Lilas",
            "zip_code": "69003",
            "city": "Lyon",
            "country": "FR",
            "phone": "04 72 00 00 01",
            "email": "contact@boulangerie-martin.test",
            "siret": "41234567800011",
            "vat_number": "FR12412345678",
            "category_id": 12,
            "pay_before": "30",
            "sepa_iban": "FR7630006000011234567890189",
            "sepa_bic": "AGRIFRPPXXX",
            "sepa_rum": "RUM-2023-0001",
            "sepa_signature_on": "2023-03-10",
            "last_invoiced_on": "2025-09-30",
            "last_paid_on": "2025-10-08",
            "created_at": "2023-03-02T09:15:00.000Z",
            "updated_at": "2025-09-30T16:40:12.000Z"
        }),
        json!({
            "company_name": "Studio Graphique Lumen",
            "short_name": "Lumen",
            "street": "4 quai de la Fosse",
            "zip_code": "44000",
            "city": "Nantes",
            "country": "FR",
            "email": "hello@studio-lumen.test",
            "website": "https://studio-lumen.test",
            "api_id": 9001,
            "api_custom": "crm:lumen-77",
            "created_at": "2024-05-14T14:02:31.000Z",
            "updated_at": "2024-05-14T14:02:31.000Z"
        }),
        json!({
            "individual": true,
            "civility": "Mme",
            "first_name": "Claire",
            "last_name": "Dubois",
            "street": "27 cours de l'Intendance",
            "zip_code": "33000",
            "city": "Bordeaux",
            "country": "FR",
            "mobile": "06 12 34 56 78",
            "email": "claire.dubois@example.test",
            "created_at": "2024-11-20T10:45:00.000Z",
            "updated_at": "2025-02-01T08:12:44.000Z"
        }),
        json!({
            "company_name": "Ateliers Vernet",
            "street": "3 impasse du Moulin",
            "zip_code": "21000",
            "city": "Dijon",
            "country": "FR",
            "email": "atelier@vernet.test",
            "archived": true,
            "created_at": "2021-06-01T07:30:00.000Z",
            "updated_at": "2022-12-31T17:00:00.000Z"
        }),
        json!({
            "company_name": "Cabinet Rousseau & Associés",
            "short_name": "Rousseau",
            "street": "8 avenue de Messine",
            "zip_code": "75008",
            "city": "Paris",
            "country": "FR",
            "email": "compta@cabinet-rousseau.test",
            "category_id": 12,
            "accounting_entry": "706000",
            "pay_before": "45fm",
            "created_at": "2025-02-03T11:20:05.000Z",
            "updated_at": "2025-02-03T11:20:05.000Z"
        }),
    ]
}

fn second_firm_customers() -> Vec<Value> {
    vec![json!({
        "company_name": "Hôtel des Voyageurs",
        "street": "1 place de la Gare",
        "zip_code": "74000",
        "city": "Annecy",
        "country": "FR",
        "email": "reception@hotel-voyageurs.test",
        "created_at": "2024-03-18T09:00:00.000Z",
        "updated_at": "2024-03-18T09:00:00.000Z"
    })]
}
