"""The tenant's Partner Center profile becomes typed columns (registration number, e-mail, contact,
address, custom domains); the camelCase JSON copy goes."""

from django.db import migrations, models


def _text(value, limit):
    return str(value or "").strip()[:limit]


def forwards(apps, schema_editor):
    MicrosoftTenant = apps.get_model("microsoft365", "MicrosoftTenant")
    for tenant in MicrosoftTenant.objects.exclude(profile={}).iterator(chunk_size=500):
        profile = tenant.profile or {}
        company = profile.get("companyProfile") or {}
        billing = profile.get("billingProfile") or {}
        billing_address = billing.get("defaultAddress") or {}
        company_address = company.get("address") or {}

        def address(key, *more):
            for source in (billing_address, company_address):
                for name in (key, *more):
                    if str(source.get(name) or "").strip():
                        return str(source[name]).strip()
            return ""

        tenant.registration_number = _text(company.get("organizationRegistrationNumber"), 100)
        tenant.company_email = _text(company.get("email"), 254)
        tenant.contact_first_name = _text(billing.get("firstName") or address("firstName"), 100)
        tenant.contact_last_name = _text(billing.get("lastName") or address("lastName"), 100)
        tenant.contact_email = _text(billing.get("email"), 254)
        tenant.address_line1 = _text(address("addressLine1"), 200)
        tenant.address_line2 = _text(address("addressLine2"), 200)
        tenant.city = _text(address("city"), 100)
        tenant.state = _text(address("state", "region"), 100)
        tenant.postal_code = _text(address("postalCode"), 32)
        tenant.country = _text(address("country"), 2).upper()
        tenant.phone_number = _text(address("phoneNumber"), 50)
        domains = profile.get("customDomains")
        if isinstance(domains, list):
            cleaned = {str(d).strip().lower() for d in domains if str(d or "").strip()}
            tenant.custom_domains = sorted(d for d in cleaned if not d.endswith(".onmicrosoft.com"))
        if billing:
            tenant.profiles_read_at = tenant.updated_at
        tenant.save()


class Migration(migrations.Migration):
    dependencies = [("microsoft365", "0002_subscription_and_user_columns_only")]

    operations = [
        migrations.AddField("microsofttenant", "registration_number", models.CharField(blank=True, max_length=100)),
        migrations.AddField("microsofttenant", "company_email", models.CharField(blank=True, max_length=254)),
        migrations.AddField("microsofttenant", "contact_first_name", models.CharField(blank=True, max_length=100)),
        migrations.AddField("microsofttenant", "contact_last_name", models.CharField(blank=True, max_length=100)),
        migrations.AddField("microsofttenant", "contact_email", models.CharField(blank=True, max_length=254)),
        migrations.AddField("microsofttenant", "address_line1", models.CharField(blank=True, max_length=200)),
        migrations.AddField("microsofttenant", "address_line2", models.CharField(blank=True, max_length=200)),
        migrations.AddField("microsofttenant", "city", models.CharField(blank=True, max_length=100)),
        migrations.AddField("microsofttenant", "state", models.CharField(blank=True, max_length=100)),
        migrations.AddField("microsofttenant", "postal_code", models.CharField(blank=True, max_length=32)),
        migrations.AddField("microsofttenant", "country", models.CharField(blank=True, max_length=2)),
        migrations.AddField("microsofttenant", "phone_number", models.CharField(blank=True, max_length=50)),
        migrations.AddField(
            "microsofttenant",
            "custom_domains",
            models.JSONField(blank=True, default=list, help_text="Verified domains besides *.onmicrosoft.com."),
        ),
        migrations.AddField(
            "microsofttenant",
            "profiles_read_at",
            models.DateTimeField(
                blank=True, null=True, help_text="When the company and billing profiles were last read in full."
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField("microsofttenant", "profile"),
    ]
