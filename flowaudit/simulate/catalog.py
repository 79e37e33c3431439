"""What a plausible integrator.io account is made of: applications, names (some not ASCII),
Celigo 6-field cron schedules, timezones, and builders for each kind of document.

Builders take a random generator and return new documents; they never touch the store."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from flowaudit.simulate.clock import iso

MASK = "******"  # how the API shows every secret field of a connection


@dataclass(frozen=True)
class System:
    name: str
    connection_type: str  # http | rest | netsuite | salesforce | ftp
    host: str


SYSTEMS = (
    System("Shopify", "http", "https://acme-store.myshopify.com"),
    System("NetSuite", "netsuite", ""),
    System("Salesforce", "salesforce", "https://acme.my.salesforce.com"),
    System("HubSpot", "rest", "https://api.hubapi.com"),
    System("Zendesk", "http", "https://acme.zendesk.com"),
    System("SAP", "http", "https://sap.acme-gmbh.example/sap/opu/odata"),
    System("Amazon Seller Central", "rest", "https://sellingpartnerapi-eu.amazon.com"),
    System("SFTP Logistik", "ftp", "sftp.lager-nord.example"),
    System("Stripe", "http", "https://api.stripe.com"),
    System("Magento", "rest", "https://shop.acme.example/rest"),
    System("Workday", "http", "https://wd5-services1.myworkday.com"),
    System("Jira", "rest", "https://acme.atlassian.net"),
    System("Slack", "http", "https://slack.com/api"),
    System("QuickBooks", "rest", "https://quickbooks.api.intuit.com"),
    System("Snowflake", "rest", "https://acme.snowflakecomputing.com"),
    System("BigCommerce", "http", "https://api.bigcommerce.com/stores/x7k2"),
    System("ServiceNow", "rest", "https://acme.service-now.com/api"),
    System("Zoho CRM", "rest", "https://www.zohoapis.eu/crm/v2"),
)

OBJECTS = (
    "Orders", "Customers", "Items", "Invoices", "Fulfillments", "Inventory", "Refunds",
    "Contacts", "Tickets", "Payments", "Vendors", "Purchase Orders", "Bestellungen", "Kunden",
    "Rechnungen", "Commandes", "Factures", "Clientes", "Pedidos", "Lagerbestände", "受注",
)  # fmt: skip

INTEGRATION_NAMES = (
    "Bestellungen → SAP", "Ventes Québec", "Shopify - NetSuite", "Salesforce ↔ NetSuite",
    "Zendesk Support", "Finance close", "HR onboarding", "Amazon EU", "Lager Nord",
    "Customer 360", "Données clients", "日本 受注連携", "Marketing ops", "Billing",
)  # fmt: skip

FIRST_NAMES = (
    "Ada", "Jonas", "Amélie", "Søren", "Priya", "Mateo", "Chloé", "Kenji", "Fatima", "Lukas",
    "Zoë", "Björn", "Inés", "Oluwaseun", "Hana", "Élodie", "Marek", "Aiyana", "Tomás", "Ngozi",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Müller", "Dubois", "Kjær", "Raman", "García", "Lefèvre", "Sato", "Haddad",
    "Schröder", "Nowak", "Østergaard", "Côté", "Adeyemi", "Kowalczyk", "Fernández",
)  # fmt: skip

TIMEZONES = (
    "America/Los_Angeles", "America/New_York", "Europe/Berlin", "Europe/Paris",
    "America/Montreal", "Asia/Tokyo", "UTC", "Australia/Sydney", "Asia/Kolkata",
)  # fmt: skip

FIELD_NAMES = (
    "id", "email", "name", "status", "total", "currency", "created_at", "updated_at", "sku",
    "quantity", "price", "customer.id", "shipping.address1", "shipping.city", "shipping.zip",
    "billing.country", "tax_lines[*].rate", "notes", "phone", "company",
)  # fmt: skip
TARGET_FIELDS = (
    "externalId", "entity", "tranDate", "memo", "subsidiary", "location", "custbody_source",
    "Email", "LastName", "AccountId", "Amount", "StageName", "Name", "Kundennummer", "Betrag",
    "numéro_client", "item", "rate", "department", "class",
)  # fmt: skip

EXPORT_PATHS = {
    "Orders": "/admin/api/2024-01/orders.json?status=any",
    "Customers": "/v3/customers",
    "Items": "/products",
    "Invoices": "/v1/invoices",
    "Tickets": "/api/v2/tickets.json",
}


def cron(rng: random.Random) -> str:
    """A schedule in Celigo's 6-field cron (seconds field is `?`)."""
    pattern = rng.randrange(6)
    minute, hour = rng.choice((0, 0, 5, 15, 30, 45)), rng.randrange(24)
    if pattern == 0:
        return f"? {minute} {hour} ? * *"
    if pattern == 1:
        return f"? {minute} */{rng.choice((1, 2, 4, 6, 12))} ? * *"
    if pattern == 2:
        return f"? */{rng.choice((5, 10, 15, 30))} * ? * *"
    if pattern == 3:
        return f"? {minute} {hour} ? * 2-6"
    if pattern == 4:
        return f"? 0 {hour} ? * {rng.randrange(1, 8)}"
    return f"? {minute} {hour},{(hour + 12) % 24} ? * *"


def short_id(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(6))


def make_users(rng: random.Random, count: int, ids, ms: int) -> list[dict]:
    users = []
    seen: set[str] = set()
    while len(users) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if (first, last) in seen:
            continue
        seen.add((first, last))
        plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
        email_name = plain.encode("ascii", "ignore").decode()
        users.append(
            {
                "_id": ids.new(ms + len(users) * 86_400_000),
                "name": f"{first} {last}",
                "email": f"{email_name}@acme-corp.example",
            }
        )
    return users


def connection_doc(rng: random.Random, cid: str, ms: int, system: System, sandbox: bool) -> dict:
    kind = system.connection_type
    name = f"{system.name} {'Sandbox' if sandbox else 'Production'}"
    doc: dict = {"_id": cid, "lastModified": iso(ms), "type": kind, "name": name}
    if kind == "http":
        doc["http"] = {
            "baseURI": system.host,
            "mediaType": "json",
            "auth": {"type": "token", "token": {"token": MASK, "location": "header",
                                                 "headerName": "Authorization", "scheme": "Bearer"}},
        }  # fmt: skip
    elif kind == "rest":
        doc["rest"] = {"baseURI": system.host, "bearerToken": MASK, "authType": "token",
                       "mediaType": "json"}  # fmt: skip
    elif kind == "netsuite":
        doc["netsuite"] = {
            "account": f"TSTDRV{rng.randrange(1_000_000, 9_999_999)}",
            "environment": "sandbox" if sandbox else "production",
            "authType": "token",
            "tokenId": MASK,
            "tokenSecret": MASK,
            "roleId": "3",
        }
    elif kind == "salesforce":
        doc["salesforce"] = {"sandbox": sandbox, "baseURI": system.host,
                             "oauth2FlowType": "refreshToken", "refreshToken": MASK}  # fmt: skip
    else:
        doc["ftp"] = {"type": "sftp", "hostURI": system.host, "port": 22,
                      "username": "celigo", "password": MASK}  # fmt: skip
    doc["offline"] = False
    doc["createdAt"] = iso(ms)
    return doc


def integration_doc(iid: str, ms: int, name: str) -> dict:
    return {"_id": iid, "lastModified": iso(ms), "name": name, "install": [], "sandbox": False,
            "createdAt": iso(ms)}  # fmt: skip


def export_doc(rng: random.Random, eid: str, ms: int, system: System, connection_id: str | None,
               obj: str, lookup: bool = False) -> dict:  # fmt: skip
    verb = "Lookup" if lookup else "Get"
    doc: dict = {"_id": eid, "lastModified": iso(ms), "name": f"{verb} {obj} from {system.name}"}
    if connection_id is None:
        doc.update(type="webhook", adaptorType="WebhookExport",
                   webhook={"provider": "custom", "verify": "token", "token": MASK})  # fmt: skip
    else:
        doc["_connectionId"] = connection_id
        kind = system.connection_type
        if kind in ("http", "rest"):
            doc["adaptorType"] = "HTTPExport" if kind == "http" else "RESTExport"
            path = EXPORT_PATHS.get(obj, f"/api/{obj.lower().replace(' ', '_')}")
            doc["http"] = {"method": "GET", "relativeURI": path, "successMediaType": "json"}
        elif kind == "netsuite":
            doc["adaptorType"] = "NetSuiteExport"
            doc["netsuite"] = {"type": "restlet", "restlet": {
                "recordType": rng.choice(("salesorder", "customer", "invoice", "itemfulfillment")),
                "searchId": f"customsearch_{rng.randrange(100, 999)}"}}  # fmt: skip
        elif kind == "salesforce":
            doc["adaptorType"] = "SalesforceExport"
            sobject = rng.choice(("Opportunity", "Account", "Contact", "Order"))
            doc["salesforce"] = {"sObjectType": sobject, "soql": {
                "query": f"SELECT Id, Name FROM {sobject} WHERE LastModifiedDate > {{{{lastExportDateTime}}}}"}}  # fmt: skip
        else:
            doc["adaptorType"] = "FTPExport"
            doc["ftp"] = {"directoryPath": f"/outbound/{obj.lower().replace(' ', '-')}"}
            doc["file"] = {"type": "csv"}
        if not lookup and rng.random() < 0.4:
            doc["type"] = "delta"
            doc["delta"] = {"dateField": rng.choice(("updated_at", "lastModifiedDate", "LastModifiedDate"))}
    doc["apiIdentifier"] = f"e{rng.getrandbits(36):09x}"
    doc["createdAt"] = iso(ms)
    return doc


def mapping_fields(rng: random.Random, count: int) -> list[dict]:
    sources = rng.sample(FIELD_NAMES, count)
    targets = rng.sample(TARGET_FIELDS, count)
    return [{"extract": s, "generate": t} for s, t in zip(sources, targets, strict=True)]


def import_doc(rng: random.Random, iid: str, ms: int, system: System, connection_id: str,
               obj: str) -> dict:  # fmt: skip
    doc: dict = {"_id": iid, "lastModified": iso(ms), "name": f"Post {obj} to {system.name}",
                 "_connectionId": connection_id}  # fmt: skip
    kind = system.connection_type
    if kind in ("http", "rest"):
        doc["adaptorType"] = "HTTPImport" if kind == "http" else "RESTImport"
        doc["http"] = {"method": ["POST"], "relativeURI": [f"/api/{obj.lower().replace(' ', '_')}"],
                       "requestMediaType": "json"}  # fmt: skip
    elif kind == "netsuite":
        doc["adaptorType"] = "NetSuiteDistributedImport"
        doc["distributed"] = True
        doc["netsuite_da"] = {"recordType": rng.choice(("salesorder", "customer", "invoice")),
                              "operation": "addupdate"}  # fmt: skip
    elif kind == "salesforce":
        doc["adaptorType"] = "SalesforceImport"
        doc["salesforce"] = {"sObjectType": rng.choice(("Account", "Contact", "Order")),
                             "operation": "upsert", "upsert": {"externalIdField": "External_Id__c"}}  # fmt: skip
    else:
        doc["adaptorType"] = "FTPImport"
        doc["ftp"] = {"directoryPath": f"/inbound/{obj.lower().replace(' ', '-')}",
                      "fileName": f"{obj.lower().replace(' ', '-')}-{{{{timestamp}}}}.csv"}  # fmt: skip
    lists = []
    if rng.random() < 0.35:
        lists = [{"generate": "items", "fields": mapping_fields(rng, rng.randint(1, 3))}]
    doc["mapping"] = {"fields": mapping_fields(rng, rng.randint(2, 6)), "lists": lists}
    doc["ignoreExisting"] = False
    doc["apiIdentifier"] = f"i{rng.getrandbits(36):09x}"
    doc["createdAt"] = iso(ms)
    return doc


def processor(rng: random.Random, step_type: str, step_id: str) -> dict:
    if step_type == "export":
        generate = rng.choice(("lookupResult", "existingRecord", "customerId", "price"))
        return {"type": "export", "_exportId": step_id,
                "responseMapping": {"lists": [], "fields": [{"extract": "data", "generate": generate}]}}  # fmt: skip
    entry: dict = {"type": "import", "_importId": step_id}
    if rng.random() < 0.2:
        entry["proceedOnFailure"] = True
    entry["responseMapping"] = {"lists": [], "fields": []}
    return entry


def flow_name(rng: random.Random, obj: str, source: System, target: System) -> str:
    form = rng.randrange(4)
    if form == 0:
        return f"{obj}: {source.name} → {target.name}"
    if form == 1:
        return f"{source.name} {obj} to {target.name}"
    if form == 2:
        return f"Sync {obj} ({source.name} > {target.name})"
    return f"{obj} {source.name}-{target.name}"
