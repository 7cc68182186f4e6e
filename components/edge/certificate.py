"""The ACM certificate for the platform domain and its wildcard, validated through Route 53 (K7)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

VALIDATION_RECORD_TTL = 60


def validation_bases(names: list[str]) -> list[str]:
    """The names ACM asks a DNS record for: ``example.com`` and ``*.example.com`` share one."""
    return list(dict.fromkeys(name.removeprefix("*.") for name in names))


@dataclass(frozen=True)
class ValidatedCertificate:
    certificate: aws.acm.Certificate
    records: list[aws.route53.Record]
    validation: aws.acm.CertificateValidation

    @property
    def arn(self) -> pulumi.Output[str]:
        """The ARN once validation completed: whatever uses it waits for an issued certificate."""
        return self.validation.certificate_arn


def _option_for(
    options: list[aws.acm.outputs.CertificateDomainValidationOption], *, name: str
) -> aws.acm.outputs.CertificateDomainValidationOption:
    for option in options:
        if option.domain_name == name:
            return option
    raise ValueError(f"ACM returned no DNS validation option for {name}")


def create_validated_certificate(
    name: str,
    *,
    parent: pulumi.Resource,
    domain: str,
    zone_id: str,
) -> ValidatedCertificate:
    """A DNS-validated certificate for ``domain`` and ``*.domain`` with its records in ``zone_id``."""
    names = [domain, f"*.{domain}"]
    certificate = aws.acm.Certificate(
        name,
        domain_name=domain,
        subject_alternative_names=names[1:],
        validation_method="DNS",
        key_algorithm="RSA_2048",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    records = []
    for index, base in enumerate(validation_bases(names)):
        option = certificate.domain_validation_options.apply(functools.partial(_option_for, name=base))
        records.append(
            aws.route53.Record(
                f"{name}-validation-{index}",
                zone_id=zone_id,
                name=option.apply(lambda o: o.resource_record_name or ""),
                type=option.apply(lambda o: o.resource_record_type or "CNAME"),
                records=[option.apply(lambda o: o.resource_record_value or "")],
                ttl=VALIDATION_RECORD_TTL,
                # The record's name is fixed per account and domain: a replacement certificate
                # reuses it, so the new record must be allowed to take over the old one.
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    validation = aws.acm.CertificateValidation(
        f"{name}-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn for record in records],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return ValidatedCertificate(certificate=certificate, records=records, validation=validation)
