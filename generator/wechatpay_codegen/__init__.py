"""wechatpay-codegen: OpenAPI specs of WeChat Pay APIv3 in, a typed Python client out."""

__version__ = "0.1.0"
