"""Encrypted model fields: a column holds AES-GCM ciphertext, the attribute plaintext.

The associated data binds each value to `db_table|column|pk|tenant`, so a
ciphertext copied to another row, column or practice fails to decrypt instead of
showing someone else's data.

Owning models declare, as in hygie.patients:

    encryption_tenant_field = "practice_id"      # filter for one practice's rows
    def encryption_tenant_id(self) -> uuid.UUID:  # the practice whose keys apply
        return self.practice_id

and need a primary key set before insert (BaseModel's uuid4 default), since the
key is part of the associated data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from django import forms
from django.core import checks, validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import signals
from django.db.models.query_utils import DeferredAttribute

from hygie.crypto import aead
from hygie.crypto.errors import DecryptionError, EncryptedFieldUsageError


class Binding(NamedTuple):
    tenant_id: uuid.UUID
    aad: bytes


class Ciphertext:
    """A stored value not decrypted yet (or sealed for writing). Opaque on purpose:
    values_list() on an encrypted column yields these, never plaintext."""

    __slots__ = ("binding", "blob")

    def __init__(self, blob: bytes, binding: Binding | None = None) -> None:
        self.blob = blob
        # Row binding at load time, so a copied instance (pk reset) can still be
        # decrypted with the associated data it was written under.
        self.binding = binding

    def __repr__(self) -> str:
        return f"<Ciphertext: {len(self.blob)} bytes>"


def field_aad(db_table: str, column: str, pk: object, tenant_id: uuid.UUID) -> bytes:
    return f"{db_table}|{column}|{pk}|{tenant_id}".encode()


class EncryptedAttribute(DeferredAttribute):
    """Decrypts lazily on first read and caches the plaintext on the instance."""

    field: EncryptedField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = self.field.decrypt_value(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


if TYPE_CHECKING:
    _BinaryField = models.BinaryField[Any, Any]
else:
    _BinaryField = models.BinaryField


class EncryptedField(_BinaryField):
    """Base class: subclasses define to_python(), encode() and decode()."""

    descriptor_class = EncryptedAttribute
    empty_values = list(validators.EMPTY_VALUES)
    form_class: type[forms.Field] = forms.CharField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", True)  # unlike BinaryField: ModelForms may use it
        super().__init__(*args, **kwargs)

    # --- value conversion (plaintext side) ----------------------------------
    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    # --- encryption -----------------------------------------------------------
    def binding_for(self, instance: models.Model) -> Binding:
        tenant_of = getattr(instance, "encryption_tenant_id", None)
        tenant = tenant_of() if callable(tenant_of) else None
        if tenant is None:
            raise EncryptedFieldUsageError(
                f"{self._label()}: {type(instance).__name__}.encryption_tenant_id() gave no "
                "practice, so no key applies"
            )
        if instance.pk is None:
            raise EncryptedFieldUsageError(
                f"{self._label()}: the row needs its primary key before encryption"
            )
        tenant = tenant if isinstance(tenant, uuid.UUID) else uuid.UUID(str(tenant))
        table = self.model._meta.db_table
        return Binding(tenant, field_aad(table, self.column or self.attname, instance.pk, tenant))

    def decrypt_value(self, instance: models.Model, value: Ciphertext) -> Any:
        binding = value.binding or self.binding_for(instance)
        try:
            data = aead.decrypt(binding.tenant_id, binding.aad, value.blob)
        except DecryptionError as exc:
            raise DecryptionError(f"{self._label()} of row {instance.pk}: {exc}") from None
        return self.decode(data)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname, _UNSET)
        if value is _UNSET:
            value = getattr(model_instance, self.attname)
        if value is None:
            return None
        binding = self.binding_for(model_instance)
        if isinstance(value, Ciphertext):
            if value.binding == binding:
                return value  # unread and still this row's: keep the stored bytes
            value = self.decrypt_value(model_instance, value)  # copied or moved row
        blob = aead.encrypt(binding.tenant_id, binding.aad, self.encode(self.to_python(value)))
        return Ciphertext(blob, binding)

    # --- database side ----------------------------------------------------------
    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return None
        return Ciphertext(bytes(value))

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return connection.Database.Binary(value.blob)  # type: ignore[attr-defined]
        # Only pre_save() produces Ciphertext: anything else here comes from
        # QuerySet.update(), bulk_update() or a lookup and would be stored or
        # compared in clear.
        raise EncryptedFieldUsageError(
            f"{self._label()} is encrypted: refusing to send a plaintext value to the "
            "database (QuerySet.update()/bulk_update() bypass encryption; assign the "
            "attribute and call save())"
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":  # NULL-ness is visible in the column anyway
            return super().get_lookup(lookup_name)
        raise EncryptedFieldUsageError(
            f"{self._label()} is encrypted and cannot be filtered ('{lookup_name}'); "
            "search through a blind index (hygie.crypto.blind) instead"
        )

    def get_transform(self, lookup_name: str) -> Any:
        raise EncryptedFieldUsageError(
            f"{self._label()} is encrypted and has no '{lookup_name}' transform"
        )

    # --- model integration -------------------------------------------------------
    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not cls._meta.abstract:
            # The binding must be captured when the row is loaded (see Ciphertext);
            # post_init is the only hook that sees the loaded instance (as ImageField).
            # Connecting twice (one call per encrypted field) is a no-op.
            signals.post_init.connect(_bind_loaded_values, sender=cls, weak=False)

    def get_default(self) -> Any:
        if self.has_default():
            return models.Field.get_default(self)  # skip BinaryField's "" → b"" rule
        return None if self.null else self.empty_default()

    def empty_default(self) -> Any:
        return None

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": self.form_class, **kwargs})

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.pop("editable", True) is False:
            kwargs["editable"] = False
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_owner()]

    def _check_owner(self) -> list[checks.CheckMessage]:
        model = self.model
        errors: list[checks.CheckMessage] = []
        if not callable(getattr(model, "encryption_tenant_id", None)):
            errors.append(
                checks.Error(
                    f"{model.__name__} has encrypted fields but no encryption_tenant_id() method",
                    obj=self,
                    id="crypto.E001",
                )
            )
        if not isinstance(getattr(model, "encryption_tenant_field", None), str):
            errors.append(
                checks.Error(
                    f"{model.__name__} has encrypted fields but no encryption_tenant_field "
                    "(key rotation could not find one practice's rows)",
                    obj=self,
                    id="crypto.E002",
                )
            )
        if not model._meta.pk.has_default():
            errors.append(
                checks.Error(
                    f"{model.__name__}'s primary key needs a default (e.g. uuid4): it is part "
                    "of the encrypted values' associated data, so it must exist before insert",
                    obj=self,
                    id="crypto.E003",
                )
            )
        return errors

    def _label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model else str(self.name)


_UNSET = object()


def _bind_loaded_values(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = [
        f
        for f in encrypted_fields(sender)
        if isinstance(instance.__dict__.get(f.attname), Ciphertext)
    ]
    if not fields:
        return  # a new instance, or all encrypted columns deferred
    tenant_field = getattr(sender, "encryption_tenant_field", "")
    if "__" not in tenant_field and tenant_field not in instance.__dict__:
        return  # tenant deferred: binding now would cost a query per row; bind on read
    for field in fields:
        value: Ciphertext = instance.__dict__[field.attname]
        # Loading must not fail; reading the value will report the problem.
        with contextlib.suppress(EncryptedFieldUsageError):
            value.binding = field.binding_for(instance)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


class EncryptedTextField(EncryptedField):
    description = "Encrypted text"

    def to_python(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def encode(self, value: str) -> bytes:
        return value.encode()

    def decode(self, data: bytes) -> str:
        return data.decode()

    def empty_default(self) -> str:
        return ""

    def formfield(self, **kwargs: Any) -> Any:
        if self.choices is None:
            kwargs.setdefault("widget", forms.Textarea)
        return super().formfield(**kwargs)


class EncryptedDateField(EncryptedField):
    description = "Encrypted date"
    form_class = forms.DateField

    def to_python(self, value: Any) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            # A datetime's date depends on a time zone: the caller must choose it.
            raise ValidationError(f"{self._label()}: expected a date, got a datetime")
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{self._label()}: {value!r} is not a YYYY-MM-DD date") from None

    def encode(self, value: dt.date) -> bytes:
        return value.isoformat().encode()

    def decode(self, data: bytes) -> dt.date:
        return dt.date.fromisoformat(data.decode())

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()


# Every stored number is right-aligned in this many characters before encryption,
# so that all values of a column encrypt to ciphertexts of one length (a weight of
# 72 kg and one of 102 kg must not be told apart by size). Vital signs need 7
# ("650.000"); laboratory results fit too.
VALUE_WIDTH = 24


def padded(value: Decimal) -> str:
    """The number in plain notation, right-aligned in VALUE_WIDTH characters
    (Decimal() reads it back: surrounding spaces are allowed)."""
    return format(value, "f").rjust(VALUE_WIDTH)


class EncryptedDecimalField(EncryptedField):
    """A Decimal, encrypted as its padded plain notation (see VALUE_WIDTH)."""

    description = "Encrypted decimal"

    def to_python(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(f"{self._label()}: {value!r} is not a number") from None
        if not number.is_finite():
            raise ValidationError(f"{self._label()}: {value!r} is not a finite number")
        return number

    def encode(self, value: Decimal) -> bytes:
        return padded(value).encode()

    def decode(self, data: bytes) -> Decimal:
        return Decimal(data.decode())


class EncryptedBooleanField(EncryptedField):
    """True or False, encrypted as one byte (so both encrypt to the same length)."""

    description = "Encrypted boolean"

    def to_python(self, value: Any) -> bool | None:
        return None if value is None else bool(value)

    def encode(self, value: bool) -> bytes:
        return b"1" if value else b"0"

    def decode(self, data: bytes) -> bool:
        return data == b"1"

    def empty_default(self) -> bool:
        return False


class EncryptedJSONField(EncryptedField):
    description = "Encrypted JSON"
    form_class = forms.JSONField
    empty_values = [None]  # an empty list or dict is a real value here

    def to_python(self, value: Any) -> Any:
        return value

    def encode(self, value: Any) -> bytes:
        try:
            return json.dumps(
                value, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode()
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{self._label()}: not JSON-serializable: {exc}") from None

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
