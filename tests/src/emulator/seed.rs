//! Demo data, and direct insertion of customers for tests.
//!
//! The demo customers cover the cases a client meets in practice: a long-standing invoiced
//! customer (which the API refuses to delete), an individual, an archived customer hidden from
//! the default list, and one customer in the second firm to exercise firm scoping.

use serde_json::{Map, Value, json};

use super::customer_fields::seeded_record;
use super::state::Store;

/// Stores a customer as given (see `Emulator::insert_customer`), returning its id, or `None`
/// if the firm is not part of the account.
pub(crate) fn insert(store: &mut Store, firm_id: u64, fields: &Map<String, Value>) -> Option<u64> {
    store.firm_by_id(firm_id)?;
    let archived = fields
        .get("archived")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let record = seeded_record(fields);
    let id = store.allocate_customer_id();
    store
        .firm_by_id_mut(firm_id)?
        .insert_customer(id, record, archived);
    Some(id)
}

/// Seeds the first configured firm with several customers and the second with one.
pub(crate) fn demo_data(store: &mut Store) {
    let firm_ids = store.firm_ids();
    let batches = [
        (firm_ids.first(), first_firm_customers()),
        (firm_ids.get(1), second_firm_customers()),
    ];
    for (firm_id, customers) in batches {
        let Some(&firm_id) = firm_id else { continue };
        for customer in customers {
            if let Value::Object(fields) = customer {
                insert(store, firm_id, &fields);
            }
        }
    }
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
